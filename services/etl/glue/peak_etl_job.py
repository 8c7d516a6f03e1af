"""Peak Fitness ETL: the AWS Glue Python-shell job (Python 3.9+, duckdb, boto3).

Runs one batch the way the local ETL worker does (services/etl/src/service/process-batch.ts): the
batch record moves to `processing`, the job bundle of its dataset (`npm run etl:bundle`, the same SQL
runBatch runs) turns the raw object into Parquet by day and a quarantine, the batch record lists the
outputs (the commit manifest) before they are uploaded, the outcome is announced on `batch-processed`,
and the record moves to `processed`. Unusable input fails the batch at once; other errors fail this
run (the dispatcher's raw-landed message is redelivered and starts another) until `--max_attempts`
attempts, then the batch is marked failed. See docs/pipeline.md, "Running in AWS: the Glue job".

Arguments (Glue passes them as `--name value`; others are ignored):
  --batch_id             the batch to process (from the raw-landed message)
  --bundle_uri           s3://bucket/key or a local path of the bundle; `{dataset}` is replaced
  --lake_uri             s3://bucket[/prefix] (AWS) or file:///folder, as LAKE_URI
  --processed_queue_url  the batch-processed queue; without it messages are printed on stdout
  --max_attempts         attempts before a batch is marked failed (default 3, raw-landed's maxReceiveCount)
  --work_dir             scratch space (default: the system temp folder)
"""
import argparse
import datetime
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.parse

try:  # the Glue job has both; the line scanner (and its conformance test) needs neither
    import duckdb
except ImportError:
    duckdb = None
try:
    import boto3
except ImportError:
    boto3 = None

PERMANENT = "unusable input: "  # error prefix of failures no retry can fix (as process-batch.ts)
CHUNK = 1 << 20


class PermanentError(Exception):
    """The input itself is unusable (bad header, broken JSON array, rows not conserved, raw object gone)."""


# ---------------------------------------------------------------------------------------------------
# Reading the raw file: a port of locate-records.ts (the line scanner) and read-input.ts (the header)


def open_input(path, compression):
    """The file's bytes in chunks, decompressed when it is gzip."""
    with (gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")) as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return
            yield chunk


LF, CR, QUOTE, COMMA = 0x0A, 0x0D, 0x22, 0x2C


def _at(items, i):
    return items[i] if i < len(items) else None


class LineScanner:
    """Finds the physical line and raw text of wanted records, with DuckDB's record boundaries.

    A faithful port of locateRecords (locate-records.ts): same state machine, chunk by chunk. Records are
    `{"recordNumber", "line", "raw"}`: recordNumber is a kept row's ordinal or minus the reader's logical line.
    """

    def __init__(self, header, quoting, kept_ordinals, rejected_lines, max_raw_bytes):
        self.header, self.quoting, self.max = header, quoting, max_raw_bytes
        self.kept_ordinals, self.rejected_lines = list(kept_ordinals), list(rejected_lines)
        self.located = []
        self.physical, self.logical = 1, 0  # the scanner's line; DuckDB's count (records and blank lines)
        self.kept = self.rejected = self.next_kept = self.next_rejected = 0
        self.in_record = self.in_quotes = self.quote_in_quotes = False
        self.field_start = True

    def begin(self):
        self.in_record, self.in_quotes, self.quote_in_quotes, self.field_start = True, False, False, True
        self.logical += 1
        self.start_line, self.record_bytes, self.only_cr, self.parts, self.captured = self.physical, 0, True, [], 0
        self.is_header = self.header and self.logical == 1
        self.is_rejected = not self.is_header and _at(self.rejected_lines, self.next_rejected) == self.logical
        self.capture = self.is_rejected or (not self.is_header and _at(self.kept_ordinals, self.next_kept) == self.kept)

    def take(self, piece):
        self.record_bytes += len(piece)
        if self.only_cr and not (len(piece) == 0 or piece == b"\r"):
            self.only_cr = False
        if self.capture and self.captured < self.max:
            piece = piece[: self.max - self.captured]
            self.parts.append(piece)
            self.captured += len(piece)

    def end(self):
        self.in_record = False
        if self.is_header:
            return
        if (self.record_bytes == 0 or self.only_cr) and not self.is_rejected:
            return  # DuckDB skips empty lines without making a row
        if self.is_rejected:
            self.next_rejected += 1
            self.rejected += 1
        else:
            if self.capture:
                self.next_kept += 1
            self.kept += 1
        if self.capture:
            number = -self.logical if self.is_rejected else self.kept - 1
            raw = _decode(b"".join(self.parts), self.captured, self.max, self.start_line == 1)
            self.located.append({"recordNumber": number, "line": self.start_line, "raw": raw})

    def feed(self, chunk):
        i, n = 0, len(chunk)
        next_quote = chunk.find(b'"') if self.quoting else -1
        while i < n:
            if not self.in_record:
                self.begin()
            if not self.in_quotes and not self.quote_in_quotes:
                # Fast path: no quote before the next newline, so the record (or its rest) is plain bytes.
                if next_quote != -1 and next_quote < i:
                    next_quote = chunk.find(b'"', i)
                nl = chunk.find(b"\n", i)
                stop = n if nl == -1 else nl
                if next_quote == -1 or next_quote >= stop:
                    body = chunk[i:stop]
                    self.take(body[:-1] if body and nl != -1 and body[-1] == CR else body)
                    if body:
                        self.field_start = body[-1] == COMMA
                    if nl == -1:
                        break
                    self.physical += 1
                    self.end()
                    i = nl + 1
                    continue
            # Slow path: through quoted fields until the record ends.
            start, ended = i, False
            while i < n:
                b = chunk[i]
                if self.quote_in_quotes:
                    self.quote_in_quotes = False
                    if b == QUOTE:  # "" inside quotes: an escaped quote
                        i += 1
                        continue
                    self.in_quotes = False  # the quote closed the field; this byte is outside quotes
                if self.in_quotes:  # jump to the next quote, counting the newlines passed
                    q = chunk.find(b'"', i)
                    end = n if q == -1 else q
                    self.physical += chunk.count(b"\n", i, end)
                    self.quote_in_quotes = q != -1
                    i = end + (q != -1)
                    continue
                if b == LF:
                    ended = True
                    break
                if b == QUOTE and self.field_start:
                    self.in_quotes, self.field_start = True, False
                else:
                    self.field_start = b == COMMA
                i += 1
            body = chunk[start:i]
            self.take(body[:-1] if ended and body and body[-1] == CR else body)
            if not ended:
                break
            self.physical += 1
            self.end()
            i += 1

    def finish(self):
        if self.in_record:
            self.end()
        return self.located


def locate_records(chunks, header, quoting, kept_ordinals, rejected_lines, max_raw_bytes):
    """(located records, rows kept, rows rejected) — as locateRecords returns them."""
    scanner = LineScanner(header, quoting, kept_ordinals, rejected_lines, max_raw_bytes)
    for chunk in chunks:
        scanner.feed(chunk)
    return scanner.finish(), scanner.kept, scanner.rejected


def _decode(data, length, max_bytes, first_line):
    """The record's text: UTF-8 when valid, else Latin-1 (so `Größer` stays readable)."""
    if first_line and data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return "%s…[cut at %d bytes]" % (text, max_bytes) if length >= max_bytes else text


# What JavaScript's String.prototype.trim removes (Python's strip() differs: it keeps U+FEFF, drops U+001C–1F).
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def read_header(chunks, max_bytes):
    """The CSV header's names (BOM, final CR and surrounding spaces removed), None for an empty file."""
    parts, length = [], 0
    for chunk in chunks:
        nl = chunk.find(b"\n")
        parts.append(chunk if nl == -1 else chunk[:nl])
        length += len(chunk) if nl == -1 else nl
        if nl != -1:
            break
        if length > max_bytes:
            raise PermanentError("the first line is longer than %d bytes: it cannot be a CSV header" % max_bytes)
    text = b"".join(parts).decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.endswith("\r"):
        text = text[:-1]
    if text == "" and length == 0:
        return None
    return [name.strip(JS_SPACE) for name in split_csv_line(text)]


def split_csv_line(text):
    """RFC 4180 split of one line."""
    if '"' not in text:
        return text.split(",")
    fields, field, in_quotes, i = [], "", False, 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if text[i + 1 : i + 2] == '"':
                    field += '"'
                    i += 1
                else:
                    in_quotes = False
            else:
                field += ch
        elif ch == '"':
            in_quotes = True
        elif ch == ",":
            fields.append(field)
            field = ""
        else:
            field += ch
        i += 1
    fields.append(field)
    return fields


def widen_days(days):
    """Valid YYYY-MM-DD days plus the day before and after each, sorted (as widenDays in duckdb.ts)."""
    out = set()
    for d in days:
        if not isinstance(d, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", d):
            continue
        try:
            day = datetime.date.fromisoformat(d)
            out.update((day + datetime.timedelta(days=delta)).isoformat() for delta in (-1, 0, 1))
        except (ValueError, OverflowError):
            continue
    return sorted(out)


# ---------------------------------------------------------------------------------------------------
# Running the bundle (the format is described in services/etl/src/glue/bundle.ts)

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def fill(text, values, sql=True):
    """Replaces each {{name}} in one pass: by its SQL literal (fragments `*_sql` as they are), or as text."""

    def one(match):
        name = match.group(1)
        if name not in values:
            raise KeyError("the bundle uses {{%s}}, which is not set" % name)
        value = values[name]
        return str(value) if not sql or name.endswith("_sql") else sql_literal(value)

    return _PLACEHOLDER.sub(one, text)


def run_steps(steps, con, values, host):
    for step in steps:
        if "when" in step and not con.execute(fill(step["when"], values)).fetchone()[0]:
            continue
        run = step["run"]
        if run == "steps":
            run_steps(step["steps"], con, values, host)
        elif run == "sql":
            try:
                con.execute(fill(step["sql"], values))
            except Exception as err:
                if "onError" not in step:
                    raise
                first_line = (str(err).splitlines() or [""])[0]
                raise PermanentError(fill(step["onError"]["message"], dict(values, error=first_line), sql=False)) from err
        elif run == "query":
            rows = con.execute(fill(step["sql"], values)).fetchall()
            for i, name in enumerate(step["into"]):
                values[name] = [row[i] for row in rows] if step["rows"] == "all" else (rows[0][i] if rows else None)
        elif run == "check":
            if not con.execute(fill(step["sql"], values)).fetchone()[0]:
                raise PermanentError(fill(step["error"]["message"], values, sql=False))
        elif run == "host":
            host(step["action"], values, con)
        else:
            raise ValueError("unknown bundle step %r" % run)


def run_batch(bundle, raw_file, record, out_dir, lake, work):
    """runBatch: the bundle's steps over one raw file; returns counts and lake-relative output keys."""
    if duckdb is None:
        raise RuntimeError("the duckdb package is missing: give the job --additional-python-modules duckdb")
    dataset, batch_id = bundle["dataset"], record["batchId"]
    processed_dir = os.path.join(out_dir, "processed", dataset)
    quarantine_file = os.path.join(out_dir, "quarantine", dataset, batch_id + ".parquet")
    os.makedirs(processed_dir, exist_ok=True)
    os.makedirs(os.path.dirname(quarantine_file), exist_ok=True)
    values = {
        "input_file": raw_file, "format": record["format"], "compression": record["compression"],
        "json_compression": bundle["jsonCompression"][record["compression"]], "batch_id": batch_id,
        "file_pattern": batch_id + "__{i}", "processed_dir": processed_dir, "quarantine_file": quarantine_file,
    }

    def host(action, values, con):
        name = action["name"]
        if name == "csvHeader":
            header = read_header(open_input(raw_file, record["compression"]), action["maxBytes"])
            values["csv_header"] = header
            if header is None:
                return
            seen = {}
            for i, h in enumerate(header):
                if h in seen:
                    raise PermanentError('the CSV header names "%s" twice (columns %d and %d); rename or drop one and upload again' % (h, seen[h] + 1, i + 1))
                seen[h] = i
            values["csv_columns_sql"] = "{" + ", ".join(action["field"].replace("{{index}}", str(i)) for i in range(len(header))) + "}"
            values["csv_select_sql"] = ", ".join(
                c["present"].replace("{{index}}", str(seen[c["name"]])) if c["name"] in seen else c["absent"] for c in action["columns"]
            )
        elif name == "referenceFiles":
            values[action["into"]] = fetch_prefix(lake, "processed/%s/" % action["dataset"], os.path.join(work, "refs"))
        elif name == "processedFiles":
            files = []
            for day in widen_days(values[action["days"]]):  # earlier batches only: never this batch's own files
                files += fetch_prefix(lake, "processed/%s/dt=%s/" % (dataset, day), os.path.join(work, "earlier"),
                                      lambda key: not os.path.basename(key).startswith(batch_id + "__"))
            values[action["into"]] = files
        elif name == "locateRecords":
            wanted = values[action["wanted"]]
            located, kept, rejected = locate_records(
                open_input(raw_file, record["compression"]), action["header"], action["quoting"],
                [n for n in wanted if n >= 0], sorted(-n for n in wanted if n < 0), action["maxRawBytes"],
            )
            # The scanner and DuckDB must agree on where records start, or a line number could be wrong.
            if kept != values[action["keptRows"]] or rejected != values[action["rejectedRows"]] or len(located) != len(wanted):
                raise RuntimeError(
                    "record boundaries disagree (reader kept %s and rejected %s, the line scan found %d and %d)"
                    % (values[action["keptRows"]], values[action["rejectedRows"]], kept, rejected)
                )
            con.executemany("INSERT INTO %s VALUES (?, ?, ?)" % action["table"], [(r["recordNumber"], r["line"], r["raw"]) for r in located])
        elif name == "listOutputs":
            values[action["into"]] = sorted(
                os.path.join(processed_dir, part, f)
                for part in os.listdir(processed_dir) if os.path.isdir(os.path.join(processed_dir, part))
                for f in os.listdir(os.path.join(processed_dir, part)) if f.startswith(batch_id + "__") and f.endswith(".parquet")
            )
        else:
            raise ValueError("unknown host action %r" % name)

    con = duckdb.connect(":memory:", config=bundle["duckdb"]["config"])
    try:
        run_steps(bundle["steps"], con, values, host)
    finally:
        con.close()
    result = bundle["result"]
    processed = [os.path.relpath(p, out_dir).replace(os.sep, "/") for p in values[result["processedFiles"]]]
    return {
        "rowsIn": values[result["rowsIn"]], "rowsProcessed": values[result["rowsProcessed"]],
        "rowsQuarantined": values[result["rowsQuarantined"]],
        "reasons": dict(zip(values[result["reasonCodes"]], values[result["reasonCounts"]])),
        "partitions": sorted({p.split("/")[2] for p in processed}), "processedFiles": processed,
        "quarantineFile": "quarantine/%s/%s.parquet" % (dataset, batch_id),
    }


# ---------------------------------------------------------------------------------------------------
# The lake (S3 or a folder, as @peak/lake) and the batch registry (as BatchRegistry)


class FolderLake:
    def __init__(self, root):
        self.root = root

    def local_path(self, key):
        return os.path.join(self.root, key)

    def list(self, prefix):
        keys = []
        for folder, _, files in os.walk(self.root):
            for f in files:
                key = os.path.relpath(os.path.join(folder, f), self.root).replace(os.sep, "/")
                if key.startswith(prefix) and not f.startswith(".lake-tmp-"):
                    keys.append(key)
        return sorted(keys, key=lambda k: k.encode("utf-8"))

    def get_bytes(self, key):
        try:
            with open(self.local_path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def get_file(self, key, path):
        if not os.path.exists(self.local_path(key)):
            return False
        shutil.copyfile(self.local_path(key), path)
        return True

    def _write(self, key, write):
        target = self.local_path(key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".lake-tmp-", dir=os.path.dirname(target))
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, target)

    def put_bytes(self, key, data):
        self._write(key, lambda f: f.write(data))

    def put_file(self, key, path):
        with open(path, "rb") as src:
            self._write(key, lambda f: shutil.copyfileobj(src, f))

    def delete(self, key):
        try:
            os.remove(self.local_path(key))
        except FileNotFoundError:
            pass


class S3Lake:
    def __init__(self, bucket, prefix):
        self.s3, self.bucket, self.prefix = boto3.client("s3"), bucket, prefix

    def local_path(self, key):
        return None

    def list(self, prefix):
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            keys += [o["Key"][len(self.prefix):] for o in page.get("Contents", [])]
        return keys

    def get_bytes(self, key):
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def get_file(self, key, path):
        try:
            self.s3.download_file(self.bucket, self.prefix + key, path)
            return True
        except Exception as err:  # botocore's ClientError: a 404 means the object is gone
            if getattr(err, "response", {}).get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return False
            raise

    def put_bytes(self, key, data):
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType="application/json")

    def put_file(self, key, path):
        self.s3.upload_file(path, self.bucket, self.prefix + key)

    def delete(self, key):
        self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def open_lake(uri):
    """A LAKE_URI: s3://bucket[/prefix] or file:///absolute/folder."""
    url = urllib.parse.urlparse(uri)
    if url.scheme == "file":
        return FolderLake(urllib.parse.unquote(url.path))
    if url.scheme == "s3":
        prefix = url.path.lstrip("/")
        return S3Lake(url.netloc, prefix if prefix == "" or prefix.endswith("/") else prefix + "/")
    raise ValueError("lake_uri must be s3://bucket[/prefix] or file:///folder: %s" % uri)


def fetch_prefix(lake, prefix, into, keep=lambda key: True):
    """Local paths of the Parquet objects under a prefix: the folder lake's own files, or downloads."""
    paths = []
    for key in lake.list(prefix):
        if not key.endswith(".parquet") or not keep(key):
            continue
        local = lake.local_path(key)
        if local is None:
            local = os.path.join(into, key)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            if not lake.get_file(key, local):
                continue
        paths.append(local)
    return paths


TRANSITIONS = {"received": ["processing"], "processing": ["processing", "processed", "failed"], "processed": [], "failed": ["processing"]}


class TransitionError(Exception):
    pass


def iso(at):
    return at.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Registry:
    """Batch records at batches/<id>.json; update applies a patch as BatchRegistry.update does."""

    def __init__(self, lake, now):
        self.lake, self.now = lake, now

    def get(self, batch_id):
        data = self.lake.get_bytes("batches/%s.json" % batch_id)
        return None if data is None else json.loads(data.decode("utf-8"))

    def update(self, batch_id, patch):
        current = self.get(batch_id)
        if current is None:
            raise KeyError("batch %s has no record" % batch_id)
        status = patch.get("status")
        if status is not None and status not in TRANSITIONS[current["status"]]:
            raise TransitionError("batch %s cannot go from %s to %s" % (batch_id, current["status"], status))
        record = dict(current, updatedAt=iso(self.now()))
        record.update({k: v for k, v in patch.items() if v is not None and v is not REMOVE})  # None = leave as it is (undefined in TS)
        for k in [k for k, v in patch.items() if v is REMOVE]:
            record.pop(k, None)  # REMOVE = drop the field (null in TS)
        if status == "processing":
            record["attempts"] = current["attempts"] + 1
            if patch.get("error") is None:
                record.pop("error", None)  # a new attempt starts clean
        self.lake.put_bytes("batches/%s.json" % batch_id, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return record


def processed_message(record, at):
    """The batch-processed message (batchProcessedMessage in process-batch.ts)."""
    message = {
        "type": "batch-processed", "version": 1, "batchId": record["batchId"], "dataset": record["dataset"],
        "status": "processed" if record["status"] == "processed" else "failed",
        "rowsIn": record.get("rowsIn", 0), "rowsProcessed": record.get("rowsProcessed", 0),
        "rowsQuarantined": record.get("rowsQuarantined", 0), "reasons": record.get("reasons", {}),
        "partitions": record.get("partitions", []),
    }
    if record.get("error"):
        message["error"] = record["error"]
    message["processedAt"] = iso(at)
    return message


REMOVE = object()  # a patch value that removes the field from the batch record


def log(msg, **fields):
    print(json.dumps(dict(fields, msg=msg)), file=sys.stderr, flush=True)


def process_batch(batch_id, lake, load_bundle, announce, work_dir, max_attempts, now):
    """processBatch: returns ("processed" | "failed" | "skipped", record or reason); raises when Glue should retry."""
    registry = Registry(lake, now)
    current = registry.get(batch_id)
    if current is None:
        raise RuntimeError("batch %s has no record in the lake (was it uploaded through ingest?)" % batch_id)
    if current["status"] == "processed":
        return "skipped", "already processed (a repeated delivery)"
    if current["status"] == "failed" and current.get("error", "").startswith(PERMANENT):
        return "skipped", "already failed for good"

    record = registry.update(batch_id, {"status": "processing"})
    os.makedirs(work_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix=batch_id + "-", dir=work_dir)
    try:
        raw_file = os.path.join(work, os.path.basename(record["objectKey"]))
        if not lake.get_file(record["objectKey"], raw_file):
            raise PermanentError("raw object %s is missing from the lake" % record["objectKey"])
        result = run_batch(load_bundle(record["dataset"]), raw_file, record, os.path.join(work, "out"), lake, work)
        processed_keys = result["processedFiles"]
        quarantine_key = result["quarantineFile"] if result["rowsQuarantined"] > 0 else None
        # The manifest first: if the upload below is cut short, the next attempt knows what this one published.
        previous = set(record.get("processedKeys", []) + ([record["quarantineKey"]] if record.get("quarantineKey") else []))
        registry.update(batch_id, {
            "rowsIn": result["rowsIn"], "rowsProcessed": result["rowsProcessed"], "rowsQuarantined": result["rowsQuarantined"],
            "reasons": result["reasons"], "partitions": [p[len("dt="):] for p in result["partitions"]],
            "processedKeys": processed_keys, "quarantineKey": quarantine_key or REMOVE,
        })
        for key in processed_keys + ([quarantine_key] if quarantine_key else []):
            lake.put_file(key, os.path.join(work, "out", key))
        for key in previous - set(processed_keys + [quarantine_key]):
            lake.delete(key)
        if not quarantine_key:
            lake.delete(result["quarantineFile"])  # an earlier attempt may have quarantined rows

        # Announce before marking processed: a crash in between repeats the announcement, never loses it.
        published = registry.get(batch_id) or record
        announce(processed_message(dict(published, status="processed"), now()))
        try:
            done = registry.update(batch_id, {"status": "processed"})
        except TransitionError:
            done = registry.get(batch_id)  # a repeated run finished first, with the same outputs
            if not done or done["status"] != "processed":
                raise
        log("batch processed", batchId=batch_id, dataset=done["dataset"], rowsIn=done.get("rowsIn"),
            rowsProcessed=done.get("rowsProcessed"), rowsQuarantined=done.get("rowsQuarantined"), reasons=done.get("reasons"))
        return "processed", done
    except Exception as err:
        permanent = isinstance(err, PermanentError)
        if not permanent and record["attempts"] < max_attempts:
            log("batch attempt failed; the run fails, to be run again", batchId=batch_id, error=str(err), attempt=record["attempts"])
            raise
        error = (PERMANENT if permanent else "gave up after %d attempts: " % record["attempts"]) + str(err)
        failed = registry.update(batch_id, {"status": "failed", "error": error})
        announce(processed_message(failed, now()))
        log("batch failed", batchId=batch_id, error=error)
        if not permanent:
            raise
        return "failed", failed
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Peak Fitness ETL of one batch (AWS Glue Python shell)", allow_abbrev=False)
    parser.add_argument("--batch_id", required=True)
    parser.add_argument("--bundle_uri", required=True)
    parser.add_argument("--lake_uri", required=True)
    parser.add_argument("--processed_queue_url", default="")
    parser.add_argument("--max_attempts", type=int, default=3)
    parser.add_argument("--work_dir", default=tempfile.gettempdir())
    args, _ = parser.parse_known_args(argv)

    def load_bundle(dataset):
        uri = args.bundle_uri.replace("{dataset}", dataset)
        if uri.startswith("s3://"):
            bucket, _, key = uri[len("s3://"):].partition("/")
            bundle = json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
        else:
            with open(uri, encoding="utf-8") as f:
                bundle = json.load(f)
        if bundle.get("bundleVersion") != 1 or bundle.get("dataset") != dataset:
            raise PermanentError("%s is not a version 1 bundle of %s" % (uri, dataset))
        return bundle

    if args.processed_queue_url:
        sqs = boto3.client("sqs")

        def announce(message):
            sqs.send_message(QueueUrl=args.processed_queue_url, MessageBody=json.dumps(message, ensure_ascii=False))
    else:

        def announce(message):
            print(json.dumps(message, ensure_ascii=False), flush=True)

    now = lambda: datetime.datetime.now(datetime.timezone.utc)  # noqa: E731
    outcome, _ = process_batch(args.batch_id, open_lake(args.lake_uri), load_bundle, announce, args.work_dir, args.max_attempts, now)
    log("done", batchId=args.batch_id, outcome=outcome)


if __name__ == "__main__":
    main()
