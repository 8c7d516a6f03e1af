"""Runs the Glue job's line scanner and CSV header reader over the cases on stdin (JSON), for glue-job.test.ts.

argv[1] is the job's folder. Prints one JSON list of results, in the order of the cases.
"""
import base64
import json
import sys

sys.path.insert(0, sys.argv[1])
import peak_etl_job as job  # noqa: E402


def chunks(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


results = []
for case in json.load(sys.stdin):
    parts = chunks(base64.b64decode(case["bytes"]), case["chunk"])
    if case["kind"] == "locate":
        located, kept, rejected = job.locate_records(
            parts, case["header"], case["quoting"], case["keptOrdinals"], case["rejectedLines"], case["maxRawBytes"]
        )
        results.append({"located": located, "keptRows": kept, "rejectedRows": rejected})
    else:
        try:
            results.append({"header": job.read_header(parts, case["maxBytes"])})
        except job.PermanentError as err:
            results.append({"error": str(err)})
print(json.dumps({"withoutDuckdb": job.duckdb is None, "withoutBoto3": job.boto3 is None, "results": results}))
