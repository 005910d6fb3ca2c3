"""Celery for real: redis-server, a `celery worker` process and the app under uvicorn.

Each test starts its own redis-server (Debian's package; scripts/test installs it) on
a free loopback port, so the tests run in parallel. Without redis-server they skip,
and under CI=true they fail: CI must run them. A generated project's own Redis test
behaves the same way, which the last test here checks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.cli.old_projects import (
    as_made_before_the_celery_input_limit,
    as_made_before_the_job_id_path,
    follow_the_old_test_note,
)
from tests.e2e.conftest import (
    Redis,
    check_project,
    clean_env,
    fastasync,
    follow_job,
    free_port,
    redis_server_binary,
    run,
    serve,
)

# Short limits, so that a job whose worker died comes back within seconds: Redis
# hands it out again once the visibility timeout (longer than the hard limit) passes.
LIMITS = {
    "CELERY_SOFT_TIME_LIMIT": "4",
    "CELERY_TIME_LIMIT": "5",
    "CELERY_VISIBILITY_TIMEOUT": "6",
    "CELERY_BROKER_TIMEOUT": "2",
}


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool process: no warm shutdown, no ack, no requeue."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


@contextmanager
def worker(root: Path, env: Mapping[str, str], name: str) -> Iterator[Worker]:
    """`celery -A app.worker worker` (prefork pool, one process) until the block ends.

    It gets a session of its own, so that its process group is it and its pool.
    """
    log = root / f"worker-{name}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "app.worker", "worker"),
                *("--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO"),
                *("--queues", "celery", "--hostname", f"{name}@%h"),
                *("--without-mingle", "--without-gossip", "--without-heartbeat"),
            ],
            cwd=root,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=clean_env(**env),
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Worker(process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_status(http: httpx.Client, location: str, status: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen.append(http.get(location).json()["status"])
        if seen[-1] == status:
            return
        time.sleep(0.05)
    pytest.fail(f"job at {location} never became {status}; statuses: {seen}")


def exercise(root: Path, redis: Redis, io_task: str, cpu_task: str) -> None:
    """Jobs over HTTP run by a real worker; a worker killed mid-job; Redis going away.

    `io_task` must be marked idempotent.
    """
    env = {"REDIS_URL": redis.url, **LIMITS}
    with serve(root, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        # Jobs go queued -> running -> succeeded, with their results.
        with worker(root, env, "first"):
            started = http.post(f"/api/jobs/{io_task}", json={"message": "hi", "delay_seconds": 1})
            assert started.status_code == 202, started.text
            assert started.json()["status"] == "queued"
            location = started.headers["location"]
            assert location.endswith(f"/api/jobs/{started.json()['id']}")
            job = follow_job(http, location)
            assert job["status"] == "succeeded", job
            assert job["result"] == {"message": "hi"}
            assert "running" in job["seen"]
            cpu = http.post(f"/api/jobs/{cpu_task}", json={"below": 1000})
            assert cpu.status_code == 202, cpu.text
            assert follow_job(http, cpu.headers["location"])["result"] == {"primes": 168}
            # Celery calls every id PENDING; one it was never given is still 404.
            assert http.get(f"/api/jobs/{uuid.uuid4().hex}").status_code == 404
            # A task's path is not an id: 405 naming the method it has.
            not_an_id = http.get(f"/api/jobs/{cpu_task}")
            assert not_an_id.status_code == 405
            assert not_an_id.headers["allow"] == "POST"

        # An idempotent job whose worker dies mid-way is handed out again, and
        # completes when a worker is back.
        with worker(root, env, "doomed") as doomed:
            started = http.post(
                f"/api/jobs/{io_task}", json={"message": "again", "delay_seconds": 3}
            )
            assert started.status_code == 202, started.text
            location, job_id = started.headers["location"], started.json()["id"]
            wait_for_status(http, location, "running")
            doomed.kill()
        assert http.get(location).json()["status"] == "running"
        with worker(root, env, "second") as second:
            job = follow_job(http, location, timeout=60)
            assert job["status"] == "succeeded", job
            assert job["result"] == {"message": "again"}
            assert f"Task jobs.{io_task}[{job_id}] received" in second.log.read_text()

        # Redis gone: 503 within the broker timeout, and the app still answers.
        redis.stop()
        began = time.monotonic()
        refused = http.post(f"/api/jobs/{io_task}", json={"message": "lost"})
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "5"
        assert "Redis" in refused.json()["detail"]
        assert time.monotonic() - began < float(LIMITS["CELERY_BROKER_TIMEOUT"]) + 1
        assert http.get(location).status_code == 503
        assert http.get("/health").status_code == 200
        # ... as OpenAPI documents it.
        paths = http.get("/openapi.json").json()["paths"]
        get_job = paths["/api/jobs/{job_id}"]["get"]["responses"]["503"]["description"]
        assert "job store is down" in get_job and "Redis" in get_job


def assert_compose_has_celery(root: Path) -> None:
    services = yaml.safe_load((root / "compose.yaml").read_text())["services"]
    assert {"app", "redis", "worker"} <= set(services)
    assert "healthcheck" in services["redis"] and "healthcheck" in services["worker"]
    assert services["app"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["worker"]["command"][:3] == ["celery", "-A", "app.worker"]


def test_new_celery_runs_jobs_in_a_real_worker(tmp_path: Path, redis: Redis) -> None:
    fastasync("new", "shop", "--yes", "--celery", "--docker", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "task", "report", "--backend", "celery", "--idempotent", cwd=root)
    fastasync("add", "task", "crunch", "--backend", "celery", "--kind", "cpu", cwd=root)
    assert_compose_has_celery(root)

    # With REDIS_URL reaching a server, the project's own Redis test runs too.
    output = check_project(root, env={"REDIS_URL": redis.url})
    assert " passed" in output and "failed" not in output and "skipped" not in output

    exercise(root, redis, io_task="report", cpu_task="crunch")


def test_add_celery_to_a_project_then_the_same(tmp_path: Path, redis: Redis) -> None:
    fastasync("new", "shop", "--yes", "--no-docker", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "task", "summarize", cwd=root)
    fastasync("add", "celery", cwd=root)
    assert "Nothing to do" in fastasync("add", "celery", cwd=root)
    fastasync("add", "task", "report", "--backend", "celery", "--idempotent", cwd=root)
    fastasync("add", "task", "notify", "--backend", "celery", cwd=root)
    fastasync(
        "add", "task", "crunch", "--backend", "celery", "--kind", "cpu", "--idempotent", cwd=root
    )
    assert not (root / "compose.yaml").exists()

    output = check_project(root, env={"REDIS_URL": redis.url})
    assert " passed" in output and "failed" not in output and "skipped" not in output

    exercise(root, redis, io_task="report", cpu_task="crunch")


def test_add_celery_on_a_project_from_before_the_job_id_path_stays_green(
    tmp_path: Path, redis: Redis
) -> None:
    """Its jobs route gets the id-only path; its own old tests pass once the one the
    warning names is changed as it says."""
    fastasync("new", "shop", "--yes", "--no-docker", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    as_made_before_the_job_id_path(root)
    fastasync("add", "task", "summarize", cwd=root)
    fastasync("add", "celery", cwd=root)
    assert '"/{job_id:job_id}"' in (root / "app/api/routes/jobs.py").read_text()
    follow_the_old_test_note(root)
    fastasync("add", "task", "report", "--backend", "celery", cwd=root)

    output = check_project(root, env={"REDIS_URL": redis.url}, parallel=True)
    assert " passed" in output and "failed" not in output and "skipped" not in output


def test_add_celery_again_on_celery_from_before_the_input_limit_stays_green(
    tmp_path: Path, redis: Redis
) -> None:
    fastasync("new", "demo", "--yes", "--db", "none", "--celery", cwd=tmp_path)
    root = tmp_path / "demo"
    as_made_before_the_celery_input_limit(root)
    fastasync("add", "celery", cwd=root)

    output = check_project(root, env={"REDIS_URL": redis.url}, parallel=True)
    assert " passed" in output and "failed" not in output and "skipped" not in output
    assert "test_celery_input.py" in run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
    )


def test_new_celery_without_docker_installs_from_its_own_pyproject(
    tmp_path: Path, redis: Redis
) -> None:
    """A fresh venv with only the project's declared dependencies passes its checks,
    its Redis test included (redis-py comes from the project's own dev dependencies)."""
    fastasync("new", "shop", "--yes", "--celery", "--no-docker", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "task", "crunch", "--backend", "celery", "--kind", "cpu", cwd=root)
    assert not (root / "compose.yaml").exists()
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    run([*uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([*uv, "pip", "install", "--quiet", "--python", python, "-e", f"{root}[dev]"], cwd=root)
    output = check_project(root, python, env={"REDIS_URL": redis.url})
    assert " passed" in output and "failed" not in output and "skipped" not in output


def run_redis_test(root: Path, ci: str) -> subprocess.CompletedProcess[str]:
    """The project's tests/test_worker_redis.py with REDIS_URL at a closed port."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist"),
            *("-rs", "tests/test_worker_redis.py"),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", CI=ci),
        check=False,
    )


def test_the_redis_test_skips_without_redis_and_fails_under_ci(tmp_path: Path) -> None:
    fastasync("new", "shop", "--yes", "--celery", "--db", "none", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"

    # Locally: skipped, saying why.
    local = run_redis_test(root, ci="")
    assert local.returncode == 0, local.stdout + local.stderr
    assert "2 skipped" in local.stdout and "does not reach a Redis server" in local.stdout

    # Under CI=true (any case): failed (an error in its Redis fixture), with the same
    # reason, so CI cannot pass without it.
    for ci in ("true", "True"):
        in_ci = run_redis_test(root, ci=ci)
        assert in_ci.returncode == 1, in_ci.stdout + in_ci.stderr
        assert "2 errors" in in_ci.stdout and "skipped" not in in_ci.stdout
        assert "does not reach a Redis server" in in_ci.stdout
        assert "CI=true: not skipping" in in_ci.stdout


def test_the_redis_test_starts_a_redis_server_of_its_own_when_none_is_named(
    tmp_path: Path,
) -> None:
    """Without REDIS_URL, a user with redis-server installed had the Redis tests
    skipped (nothing at localhost:6379); they start a throwaway one now, and stop it."""
    redis_server_binary()  # the project's tests start it from PATH themselves
    fastasync("new", "shop", "--yes", "--celery", "--db", "none", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    basetemp = tmp_path / "basetemp"  # where the project's tests make the server's folder
    env = {k: v for k, v in clean_env(CI="true").items() if k != "REDIS_URL"}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist"),
            *("-rs", f"--basetemp={basetemp}", "tests/test_worker_redis.py"),
        ],
        cwd=root, capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout and "skipped" not in result.stdout
    # redis-server runs in its --dir: no process is left working in those folders.
    left = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if str(cwd.readlink()).startswith(str(basetemp)):
                left.append(cwd.parent.name)
        except OSError:
            continue  # ended meanwhile, or not ours to read
    assert left == []
