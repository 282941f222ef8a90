"""A throw-away PostgreSQL cluster for the tests, from Debian's binaries.

``scripts/install-postgres.sh`` installs them when ``initdb`` is missing. The cluster lives
in a temporary directory, listens on a Unix socket only (no TCP port to collide with), runs
as the ``postgres`` user when the tests run as root (``initdb`` refuses root), trusts local
connections, and is stopped and removed at the end of the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
INSTALL_SCRIPT = REPO / "scripts" / "install-postgres.sh"
PORT = 5432  # the socket's name (.s.PGSQL.5432); no TCP listener


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path
    port: int
    user: str = "postgres"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=self.user, dbname=dbname,
            autocommit=True, connect_timeout=10,
        )  # fmt: skip

    def create_database(self) -> str:
        name = f"djmig_{uuid.uuid4().hex[:12]}"
        with self.connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def django_settings(self, dbname: str) -> str:
        """``DATABASES`` for a project's settings module (appended after the SQLite one)."""
        return (
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', "
            f"'NAME': {dbname!r}, 'USER': {self.user!r}, 'HOST': {str(self.socket_dir)!r}, "
            f"'PORT': {str(self.port)!r}}}}}\n"
        )


def find_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(found[0]).parent if found else None


def ensure_installed() -> Path:
    """The directory of ``initdb``/``pg_ctl``, installing PostgreSQL if needed."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True, timeout=900)
        bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(f"{INSTALL_SCRIPT} did not install initdb")
    return bin_dir


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    bin_dir = ensure_installed()
    base = Path(tempfile.mkdtemp(prefix="djmig-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            _as_cluster_owner(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--no-sync", "--no-instructions"]
            ),
            **run,
        )  # fmt: skip
        options = f"-k {base} -p {PORT} -c listen_addresses='' -c fsync=off"
        subprocess.run(
            _as_cluster_owner(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                 str(base / "server.log"), "-w", "start"]
            ),
            **run,
        )  # fmt: skip
        try:
            yield Cluster(base, PORT)
        finally:
            subprocess.run(
                _as_cluster_owner(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
