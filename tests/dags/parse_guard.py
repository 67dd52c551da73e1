"""Parses one DAG file the way the dag-processor does, with the network and the metadata DB cut off.

Run as a script (a fresh interpreter per file, so one file's imports cannot hide another's):
    python tests/dags/parse_guard.py dags/some_dag.py [--keep-database]
It prints JSON: the DAG ids, import errors, and every network or DB access attempted while parsing.
With --keep-database the configured metadata DB stays reachable (a connection stored there must
not be read either): accesses are still recorded.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile

attempts: list[str] = []


def _refuse(kind):
    def refuse(*args, **kwargs):
        attempts.append(f"{kind} {args[1:2] or args[:1]}")
        raise OSError(f"{kind} at parse time is not allowed")

    return refuse


socket.socket.connect = _refuse("network connect")
socket.socket.connect_ex = _refuse("network connect")
socket.getaddrinfo = _refuse("DNS lookup")
if "--keep-database" not in sys.argv:
    # A metadata DB that cannot be opened: any query at parse time fails and is recorded below.
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tempfile.mkdtemp()}/missing/airflow.db"


def main(path: str) -> None:
    import sqlalchemy.event
    from sqlalchemy.engine import Engine

    sqlalchemy.event.listen(Engine, "engine_connect", lambda conn: attempts.append("metadata DB connection"))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=path)
    print(json.dumps({"dags": sorted(bag.dag_ids), "import_errors": bag.import_errors, "attempts": attempts}))


if __name__ == "__main__":
    main(sys.argv[1])
