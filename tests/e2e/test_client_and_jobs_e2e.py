"""A grown project's shared client and jobs under uvicorn, against a real fake upstream.

The upstream runs in this process on a loopback port and is reached by the host name
`localhost` (cookie jars ignore cookies from IP addresses, so `127.0.0.1` would hide
a leak). The app under test calls it through the client `fastasync add client`
wrote, from a route and from a task written the way a user would write them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import check_project, clean_env, fastasync, follow_job, run, serve

RELAY_ROUTE = '''\
"""Calls the upstream through its shared client, as an endpoint of the app would."""

from typing import Any

from fastapi import APIRouter, HTTPException

from app.api.deps import UpstreamClientDep
from app.clients.base import UpstreamError, UpstreamTimeout

router = APIRouter(prefix="/relay", tags=["relay"])


@router.get(
    "/{path}",
    # Documented, as every status a route answers: the project's schemathesis test
    # checks it.
    responses={
        502: {"description": "The upstream failed"},
        504: {"description": "The upstream did not answer in time"},
    },
)
async def relay(path: str, client: UpstreamClientDep) -> Any:
    try:
        return await client.get(f"/{path}")
    except UpstreamTimeout as exc:
        raise HTTPException(504, "The upstream did not answer in time.") from exc
    except UpstreamError as exc:
        raise HTTPException(502, "The upstream failed.") from exc
'''

FAILING_TASK = '''\
"""A job whose upstream call fails with an answer that must not reach clients."""

from pydantic import BaseModel

from app.clients.upstream import UpstreamClient
from app.core.config import get_settings
from app.jobs import TaskSpec


class FetchSecretInput(BaseModel):
    path: str


async def fetch_secret(payload: FetchSecretInput) -> object:
    async with UpstreamClient.from_settings(get_settings()) as client:
        return await client.get(f"/{payload.path}")


task = TaskSpec(
    name="fetch-secret", input_model=FetchSecretInput, func=fetch_secret, kind="io"
)
'''

SECRET_BODY = "token=s3cret-from-upstream"


class FakeUpstream(BaseHTTPRequestHandler):
    """`/login` sets a cookie, `/me` says which cookie it got, `/drip` never ends,
    `/fail` answers 500 with a body carrying a secret."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                while True:
                    time.sleep(0.2)
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                return
        if self.path == "/fail":
            self._send(500, SECRET_BODY.encode())
            return
        body = json.dumps({"cookie": self.headers.get("Cookie")}).encode()
        extra = {"Set-Cookie": "session=alice; Path=/"} if self.path == "/login" else {}
        self._send(200, body, extra)

    def _send(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    fastasync("new", "grown", "--yes", "--no-docker", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "grown"
    fastasync("add", "client", "upstream", "--base-url", "http://localhost:9", cwd=root)
    fastasync("add", "task", "slow", cwd=root)
    # A task written by hand, registered as app/tasks/__init__.py says to.
    (root / "app/tasks/fetch_secret.py").write_text(FAILING_TASK)
    registry = root / "app/tasks/__init__.py"
    registry.write_text(
        registry.read_text()
        + "\nfrom app.tasks import fetch_secret  # noqa: E402\n\n"
        + "TASKS.append(fetch_secret.task)\n"
    )
    (root / "app/api/routes/relay.py").write_text(RELAY_ROUTE)
    api_main = root / "app/api/main.py"
    register = "api_router.include_router(jobs.router)\n"
    text = api_main.read_text()
    assert register in text, "the template's app/api/main.py changed"
    text = text.replace(
        "from app.api.routes import ", "from app.api.routes import relay, ", 1
    ).replace(register, register + "api_router.include_router(relay.router)\n", 1)
    api_main.write_text(text)
    # As a user would after editing by hand: let ruff sort the imports.
    run([Path(sys.executable).parent / "ruff", "check", "--fix", "-q", "app"], cwd=root)
    return root


def test_client_and_jobs_hold_up_over_real_http(project: Path, upstream: str) -> None:
    output = check_project(project)
    assert " passed" in output and "failed" not in output

    env = {
        "UPSTREAM_BASE_URL": upstream,
        "UPSTREAM_TIMEOUT": "5",
        "UPSTREAM_DEADLINE": "1",
        "JOB_STORE_MAX": "10",
        "JOB_TIMEOUT_S": "1",
    }
    with serve(project, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        # No cookie goes from one caller's call to the next caller's.
        assert http.get("/api/relay/login").json() == {"cookie": None}
        assert http.get("/api/relay/me").json() == {"cookie": None}

        # An upstream that drips a byte every 0.2 s: the 1 s deadline ends the
        # call, although every read comes well within the 5 s read timeout.
        started = time.monotonic()
        assert http.get("/api/relay/drip").status_code == 504
        assert time.monotonic() - started < 4

        # A failed job shows the error's type, never the upstream's answer.
        failed = http.post("/api/jobs/fetch-secret", json={"path": "fail"})
        job = follow_job(http, failed.headers["location"])
        assert job["status"] == "failed"
        assert job["error"].startswith("UpstreamError: ")
        assert "s3cret" not in job["error"]

        # A flood of long jobs: the store takes 10, refuses the rest with 503 and
        # Retry-After (never 500), and takes jobs again once the time limit ended
        # the accepted ones.
        slow = {"message": "slow", "delay_seconds": 60}
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda _: http.post("/api/jobs/slow", json=slow), range(40)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses[0] == 202 and statuses[-1] == 503 and set(statuses) == {202, 503}
        assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 503)
        for answer in answers:
            if answer.status_code == 202:
                job = follow_job(http, answer.headers["location"], timeout=30)
                assert job["error"].startswith("JobTimeout")
        after = http.post("/api/jobs/slow", json={"message": "after"})
        assert after.status_code == 202
        assert follow_job(http, after.headers["location"])["status"] == "succeeded"

    # The details of the failure are in the server's log, with the job's id.
    log = (project / "uvicorn.log").read_text()
    assert f"Job {failed.json()['id']} (fetch-secret) failed" in log


def test_client_settings_that_cannot_work_stop_the_app_naming_them(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=project,
        capture_output=True,
        text=True,
        env=clean_env(UPSTREAM_TIMEOUT="-1", UPSTREAM_RETRIES="-2"),
        check=False,
        timeout=60,
    )

    assert result.returncode != 0
    assert "upstream_timeout" in result.stderr and "upstream_retries" in result.stderr
