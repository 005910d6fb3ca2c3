"""A PostgreSQL database for the tests: `TEST_DATABASE_URL`, or a throwaway server.

`postgres_url()` yields a `postgresql+asyncpg://` URL:

1. `TEST_DATABASE_URL` when it is set (CI's Postgres service, or your own server). The
   tests empty that database, so never point it at data you want to keep.
2. Otherwise a throwaway server started from the PostgreSQL binaries on this machine
   (found on PATH, through `pg_config --bindir`, in /usr/lib/postgresql/*/bin on
   Debian and Ubuntu, or in Homebrew's and Postgres.app's folders on macOS): `initdb`
   in a temporary folder, listening on a free loopback port and a socket in that
   folder, without fsync (its data is thrown away), stopped and removed afterwards.
   PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
   user (which the distribution packages create) or `nobody`.
3. Otherwise the tests that need it are skipped, saying why; under `CI=true` they fail
   instead, so CI never passes without having run them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypedDict

import pytest

INSTALL_HINT = (
    "install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; macOS: brew "
    "install postgresql) or set TEST_DATABASE_URL=postgresql+asyncpg://USER@HOST/DB"
)
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Settings for a server whose data is thrown away: never wait for the disk.
FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
BINARY_FOLDERS = (
    "/usr/lib/postgresql/*/bin",  # Debian, Ubuntu
    "/usr/pgsql-*/bin",  # Fedora, RHEL (PGDG packages)
    "/opt/homebrew/opt/postgresql*/bin",  # Homebrew on Apple silicon
    "/usr/local/opt/postgresql*/bin",  # Homebrew on Intel
    "/Applications/Postgres.app/Contents/Versions/*/bin",
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why and what to do."""


def find_bindir() -> Path | None:
    """The folder holding `initdb` and `postgres`, newest version first, or None."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            bindir = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            candidates.append(Path(bindir))
    for pattern in BINARY_FOLDERS:
        candidates += sorted(
            (Path(p) for p in glob.glob(pattern)), key=_version, reverse=True
        )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _version(folder: Path) -> tuple[int, ...]:
    digits = "".join(c if c.isdigit() else " " for c in str(folder))
    return tuple(int(part) for part in digits.split())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable(
        "PostgreSQL refuses to run as root, and there is no `postgres` or `nobody` "
        "user to run it as; run the tests as another user or set TEST_DATABASE_URL"
    )


@dataclass
class PostgresServer:
    """A running throwaway server: superuser `postgres`, no password (trust)."""

    port: int
    socket_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT); after STOP_TIMEOUT seconds, kill it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def throwaway_server(
    bindir: Path,
    *,
    settings: dict[str, str] | None = None,
    user: pwd.struct_passwd | None = None,
) -> Iterator[PostgresServer]:
    """initdb, start, yield, stop and remove a server listening on 127.0.0.1 only.

    `settings` are extra server settings (`max_connections`, ...); `user` is who
    runs it (default: `server_user()`, i.e. yourself unless you are root).
    """
    user = user if user is not None else server_user()
    folder = Path(tempfile.mkdtemp(prefix="pg-test-"))
    try:
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        data = folder / "data"
        log = folder / "server.log"
        initdb = subprocess.run(
            [
                *(str(bindir / "initdb"), "--pgdata", str(data)),
                *("--username", "postgres", "--auth", "trust"),
                *("--encoding", "UTF8", "--no-locale", "--no-sync"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=folder,
            **_as(user),
        )
        if initdb.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        all_settings = {**FAST_SETTINGS, **(settings or {})}
        server = _start(bindir, folder, data, log, all_settings, user)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _RunAs(TypedDict):
    user: int | None
    group: int | None
    extra_groups: list[int] | None


def _as(user: pwd.struct_passwd | None) -> _RunAs:
    """subprocess arguments that run a command as `user` (None: as ourselves)."""
    if user is None:
        return {"user": None, "group": None, "extra_groups": None}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _start(
    bindir: Path,
    folder: Path,
    data: Path,
    log: Path,
    settings: dict[str, str],
    user: pwd.struct_passwd | None,
) -> PostgresServer:
    """Start `postgres` on a free port; try another port if that one was taken."""
    for _attempt in range(3):
        port = _free_port()
        options: list[str] = []
        all_settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(folder),
            **settings,
        }
        for name, value in all_settings.items():
            options += ["-c", f"{name}={value}"]
        with log.open("ab") as output:
            process = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), *options],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=folder,
                **_as(user),
            )
        server = PostgresServer(port, folder, process, log)
        if _wait_ready(server, data / "postmaster.pid"):
            return server
        server.stop()
        if "could not bind" not in log.read_text(errors="replace"):
            break
    printed = log.read_text(errors="replace")
    raise PostgresUnavailable(f"PostgreSQL did not start:\n{printed}")


def _wait_ready(server: PostgresServer, pid_file: Path) -> bool:
    """Wait until postmaster.pid says `ready` (what `pg_ctl -w` waits for)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            lines = pid_file.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return True
        time.sleep(0.05)
    return False


def asyncpg_url(url: str) -> str:
    """`url` with the asyncpg driver, whatever scheme it was given with."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in {"postgres", "postgresql"}:
        raise ValueError("TEST_DATABASE_URL must be a postgresql:// URL")
    return f"postgresql+asyncpg://{rest}"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, saying why; under CI=true fail it instead (CI must run it)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A `postgresql+asyncpg://` URL of an empty database while the block runs.

    TEST_DATABASE_URL when set; otherwise a throwaway server; otherwise the test is
    skipped (failed under CI=true).
    """
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        try:
            url = asyncpg_url(given)
        except ValueError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield url
        return
    bindir = find_bindir()
    if bindir is None:
        unavailable(f"PostgreSQL binaries (initdb, postgres) not found: {INSTALL_HINT}")
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(throwaway_server(bindir))
        except PostgresUnavailable as exc:
            unavailable(str(exc))
        yield server.url()
