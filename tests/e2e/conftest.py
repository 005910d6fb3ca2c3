"""Run fastasync and generated projects for real: subprocesses, ports, servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import readme_production_command
from tests.e2e import postgres

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One throwaway PostgreSQL per test session (per xdist worker); see postgres.py."""
    with postgres.running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    """A fresh, empty database of the test's own: its postgresql+asyncpg:// URL."""
    return postgres.create_database(postgres_server)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Redis:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_server_binary() -> str:
    """redis-server's path; without one the test skips, or fails under CI=true."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is missing: apt-get install redis-server (scripts/test does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    """A redis-server of the test's own on a free loopback port, without persistence."""
    binary = redis_server_binary()
    port = free_port()
    log = tmp_path / "redis.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(binary, "--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Redis(f"redis://127.0.0.1:{port}/0", process)
    try:
        deadline = time.monotonic() + 30
        while not _answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a generated project: nothing of this repo's leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHONPATH"))}
    env.update(extra)
    return env


def run(
    command: Sequence[str | Path],
    cwd: Path,
    timeout: float = 600,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a command; fail the test with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**(env or {})),
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(map(str, command))}` exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result.stdout


def fastasync(*args: str | Path, cwd: Path) -> str:
    return run([sys.executable, "-m", "fastasync_cli", *args], cwd=cwd)


def check_project(
    root: Path,
    python: Path = Path(sys.executable),
    env: Mapping[str, str] | None = None,
    *,
    parallel: bool = False,
) -> str:
    """The generated project's own lint, format check, type check, migrations check
    (when it has Alembic), tests and `fastasync check`, all green.

    `parallel`: its tests in two pytest-xdist workers (`pytest -n 2`, as its README
    suggests), which shows they do not interfere; otherwise in one process."""
    ruff = python.parent / "ruff"
    run([ruff, "check", "."], cwd=root)
    run([ruff, "format", "--check", "."], cwd=root)
    # Every generated project configures mypy (strict, pydantic plugin) in pyproject.toml.
    run([python, "-m", "mypy"], cwd=root, env=env)
    if (root / "alembic.ini").exists() or "[tool.alembic]" in (root / "pyproject.toml").read_text():
        run([python, "-m", "alembic", "upgrade", "head"], cwd=root, env=env)
        run([python, "-m", "alembic", "check"], cwd=root, env=env)
    # fastasync's own async rules: no findings in any generated project.
    run([sys.executable, "-m", "fastasync_cli", "check", "."], cwd=root)
    workers = ["-n", "2"] if parallel else ["-p", "no:xdist"]
    return run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers],
        cwd=root,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(
    root: Path,
    python: Path = Path(sys.executable),
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    options: Sequence[str] = (),
) -> Iterator[str]:
    """Serve the project's app with uvicorn on a free loopback port; stop it after.

    `options` go to uvicorn too (e.g. `production_options`)."""
    with served(root, python, env, workers, options) as (base_url, _process):
        yield base_url


@contextmanager
def served(
    root: Path,
    python: Path = Path(sys.executable),
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    options: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`serve`, also giving uvicorn's process (with one worker, the server's own)."""
    port = free_port()
    log = root / "uvicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(python, "-m", "uvicorn", "app.main:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
                # a busy test machine starts a worker more slowly than uvicorn's 5 s
                *("--timeout-worker-healthcheck", "60"),
                *options,
            ],
            cwd=root,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=clean_env(**(env or {})),
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not answer within 120 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_fails(root: Path, env: Mapping[str, str] | None = None) -> str:
    """Start the project's app under uvicorn, which must exit at start-up; its output."""
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(free_port())]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            env=clean_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"uvicorn did not exit within 120 s:\n{exc.stdout}{exc.stderr}")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    return output


def production_options(root: Path) -> list[str]:
    """The uvicorn options of the production command in the project's README, but
    for the address (`serve` picks it)."""
    words = readme_production_command(root)[2:]
    options: list[str] = []
    while words:
        word = words.pop(0)
        if word in ("--host", "--port"):
            words.pop(0)
        else:
            options.append(word)
    return options


def follow_job(http: httpx.Client, location: str, timeout: float = 60) -> dict:
    """Poll a job over HTTP until it has finished."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        job = http.get(location).json()
        seen.append(job["status"])
        if job["status"] in {"succeeded", "failed"}:
            job["seen"] = seen
            return job
        time.sleep(0.05)
    pytest.fail(f"job at {location} did not finish in {timeout} s; statuses: {seen}")
