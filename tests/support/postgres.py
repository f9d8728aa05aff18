"""A throwaway PostgreSQL server on a unix socket (no TCP at all), for the warehouse tests.

``initdb`` refuses to run as root, so as root (CI, this machine) the server runs as the
``postgres`` user, in a folder of its own under the system's temporary folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

SERVER_USER = "postgres"


@attrs.frozen
class Postgres:
    socket_dir: str
    port: int

    @property
    def dsn(self) -> str:
        """The DSN dlt takes: a host (the socket folder, percent-encoded) and a password."""
        host = urllib.parse.quote(self.socket_dir, safe="")
        return f"postgresql://postgres:x@{host}:{self.port}/postgres"

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg2  # the postgres extra of dlt (make test-postgres installs it)

        with (
            psycopg2.connect(
                host=self.socket_dir, port=self.port, user="postgres", dbname="postgres"
            ) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        connection.close()
        return rows


def _free_port() -> int:
    # The port only names the socket file (.s.PGSQL.PORT): nothing listens on TCP.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """Start a server (initdb, pg_ctl start), yield it, stop it and remove its files."""
    as_root = os.geteuid() == 0
    run_as: dict[str, Any] = {"user": SERVER_USER} if as_root else {}
    folder = Path(tempfile.mkdtemp(prefix="meetbot-postgres-"))
    if as_root:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, sockets = folder / "data", folder / "sockets"
    server = Postgres(str(sockets), _free_port())
    try:
        _run(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"], run_as)
        _run(["mkdir", str(sockets)], run_as)
        options = f"-k {sockets} -p {server.port} -c listen_addresses='' -c fsync=off"
        _run(
            ["pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"],
            run_as,
        )
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            _run(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"], run_as)
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], options: dict[str, Any]) -> None:
    subprocess.run(  # noqa: S603 (PostgreSQL's own tools, from PATH)
        command,
        check=True,
        capture_output=True,
        timeout=60,
        env={"PATH": os.environ["PATH"]},
        **options,
    )
