"""Test stand-in for the `duckdb` Python package, which cannot be installed on this machine.

It forwards every statement, unchanged, to a real DuckDB (@duckdb/node-api) in a Node process
(server.ts beside it; the command is in $DUCKDB_BRIDGE as a JSON list), so peak_etl_job.py runs its
bundle on the engine the local ETL uses. Only what the job uses: connect, execute, executemany,
fetchone, fetchall, close. Values come back as JSON (integers, text, booleans, lists).
"""
import json
import os
import subprocess


class Error(Exception):
    pass


class DuckDBPyConnection:
    def __init__(self, config):
        self._proc = subprocess.Popen(json.loads(os.environ["DUCKDB_BRIDGE"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8")
        self._rows = []
        self._call({"op": "connect", "config": config})

    def _call(self, request):
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise Error("the DuckDB bridge exited")
        answer = json.loads(line)
        if "error" in answer:
            raise Error(answer["error"])
        return [tuple(row) for row in answer["rows"]]

    def execute(self, sql, parameters=None):
        if parameters:
            raise NotImplementedError("the bridge runs statements without parameters; use executemany")
        self._rows = self._call({"op": "execute", "sql": sql})
        return self

    def executemany(self, sql, rows):
        self._rows = self._call({"op": "executemany", "sql": sql, "rows": [list(r) for r in rows]})
        return self

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self):
        return list(self._rows)

    def close(self):
        self._proc.stdin.close()
        self._proc.wait()


def connect(database=":memory:", read_only=False, config=None):
    if database != ":memory:":
        raise NotImplementedError("the bridge opens in-memory databases only")
    return DuckDBPyConnection(config or {})
