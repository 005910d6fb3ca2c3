"""Databases for real: every `--db` choice green, and a PostgreSQL project grown, migrated,
served, restarted and migrated again with its rows intact.

PostgreSQL is the throwaway server of tests/e2e/postgres.py (Debian's package;
scripts/test installs it), one per xdist worker with a fresh database per test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e import postgres
from tests.e2e.conftest import (
    Redis,
    check_project,
    fastasync,
    follow_job,
    run,
    serve,
    start_fails,
)

CUSTOMERS = ["endpoint", "customers", "email:str:unique", "name:str:index", "vip:bool=false"]
ORDERS = ["endpoint", "orders", "quantity:int", "note:str?"]


def _command(service: dict[str, object]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(map(str, command))


def alembic(root: Path, *args: str, database_url: str) -> str:
    return run(
        [sys.executable, "-m", "alembic", *args], cwd=root, env={"DATABASE_URL": database_url}
    )


@pytest.mark.parametrize("celery", [False, True], ids=["no-celery", "celery"])
@pytest.mark.parametrize("db", ["sqlite", "postgres", "none"])
def test_every_db_choice_is_green(
    tmp_path: Path, db: str, celery: bool, request: pytest.FixtureRequest
) -> None:
    """ruff, ruff format, the project's pytest and, with a database, `alembic check`."""
    options = ["--db", db, "--docker", "--ci", "github", *(["--celery"] if celery else [])]
    fastasync("new", "shop", "--yes", *options, cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", *CUSTOMERS, cwd=root)
    env: dict[str, str] = {}
    if celery:
        redis: Redis = request.getfixturevalue("redis")
        env["REDIS_URL"] = redis.url
    if db == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
        if celery:
            # The project's tests on this server; without it (no-celery) they start a
            # throwaway server of their own from tests/postgres_server.py.
            env["TEST_DATABASE_URL"] = env["DATABASE_URL"]
    has_alembic = (root / "migrations" / "env.py").exists()
    assert has_alembic == (db != "none")
    assert (root / "app" / "models" / "customers.py").exists() == (db != "none")

    compose = yaml.safe_load((root / "compose.yaml").read_text())
    services = compose["services"]
    workflow = yaml.safe_load((root / ".github/workflows/ci.yml").read_text())
    if db == "postgres":
        assert "healthcheck" in services["db"] and services["db"].get("volumes")
    else:
        assert "db" not in services
    if db == "none":
        assert "migrate" not in services and "DATABASE_URL" not in str(services["app"])
    else:
        # A one-shot migration before the app starts.
        assert _command(services["migrate"]) == "alembic upgrade head"
        assert "migrate" in services["app"]["depends_on"]
    if db == "sqlite":
        # The database file lives in a volume, not in the container's layer.
        database = services["app"]["environment"]["DATABASE_URL"].split(":///", 1)[1]
        mounts = [str(v).split(":")[1] for v in services["app"].get("volumes", [])]
        assert any(database.startswith(m) for m in mounts), (database, mounts)
    jobs = str(workflow["jobs"])
    assert ("postgres" in jobs and "TEST_DATABASE_URL" in jobs) == (db == "postgres")

    # Without Celery, in two workers (pytest refuses `-n` without pytest-xdist, which
    # the project's dev extra brings): each test's database is its own.
    output = check_project(root, env=env, parallel=not celery)
    assert " passed" in output and "failed" not in output
    if db == "postgres" and celery:
        assert "skipped" not in output, output


def test_a_postgres_project_grows_migrates_serves_and_keeps_its_rows(
    tmp_path: Path, postgres_url: str
) -> None:
    fastasync(
        "new", "shop", "--yes", "--db", "postgres", "--no-docker", "--ci", "none", cwd=tmp_path
    )
    root = tmp_path / "shop"
    fastasync("add", *CUSTOMERS, cwd=root)
    alembic(root, "upgrade", "head", database_url=postgres_url)
    env = {"DATABASE_URL": postgres_url}

    with serve(root, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.get("/health/ready").status_code == 200
        ada = http.post("/api/customers", json={"email": "ada@example.com", "name": "Ada"})
        assert ada.status_code == 201, ada.text
        ada_row = ada.json()
        assert ada_row["vip"] is False
        stamps = postgres.fetch(postgres_url, "SELECT created_at, updated_at FROM customers")
        assert all(value.tzinfo is not None for value in stamps[0].values()), stamps
        url = f"/api/customers/{ada_row['id']}"
        assert http.get(url).json() == ada_row

        duplicate = http.post("/api/customers", json={"email": "ada@example.com", "name": "B"})
        assert duplicate.status_code == 409, duplicate.text
        assert "email" in duplicate.json()["detail"]

        bob = http.post("/api/customers", json={"email": "bob@example.com", "name": "Bob"})
        assert bob.status_code == 201, bob.text
        taken = http.patch(f"/api/customers/{bob.json()['id']}", json={"email": "ada@example.com"})
        assert taken.status_code == 409, taken.text

        updated = http.patch(url, json={"vip": True})
        assert updated.status_code == 200 and updated.json()["vip"] is True
        ada_row = updated.json()

        gone = http.post("/api/customers", json={"email": "cy@example.com", "name": "Cy"}).json()
        assert http.delete(f"/api/customers/{gone['id']}").status_code == 204
        assert http.get(f"/api/customers/{gone['id']}").status_code == 404
        assert http.get("/api/customers", params={"offset": 10**12}).status_code == 422
        page = http.get("/api/customers", params={"limit": 10}).json()
        assert [c["email"] for c in page] == ["ada@example.com", "bob@example.com"]
        bob_row = bob.json()

        # The database closes every connection (a restart, a failover): the pool
        # replaces the ones it closed, and no request answers 503 for them.
        postgres.terminate_other_connections(postgres_url)
        assert [http.get(url).status_code for _ in range(3)] == [200, 200, 200]

    # A new process reads what the first one wrote.
    with serve(root, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.get(url).json() == ada_row
        assert [c["id"] for c in http.get("/api/customers").json()] == [
            ada_row["id"],
            bob_row["id"],
        ]

    # Grow: another endpoint, its migration chained to the head, the same database.
    fastasync("add", *ORDERS, cwd=root)
    heads = alembic(root, "heads", database_url=postgres_url)
    assert len(heads.strip().splitlines()) == 1, heads
    # Not migrated yet: the app will not start on the older database, and says why.
    refused = start_fails(root, env=env)
    head = heads.split()[0]
    where = postgres_url.split("@", 1)[1]
    [line] = [line for line in refused.splitlines() if "alembic upgrade head" in line]
    assert f"The database at {where} is at migration " in line, refused
    assert f"older than this code's {head}: run `alembic upgrade head`" in line, refused
    assert "Traceback" not in refused, refused
    alembic(root, "upgrade", "head", database_url=postgres_url)
    alembic(root, "check", database_url=postgres_url)
    emails = postgres.fetch(postgres_url, "SELECT email FROM customers ORDER BY created_at")
    assert emails == [{"email": "ada@example.com"}, {"email": "bob@example.com"}]

    with serve(root, env=env) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.get(url).json() == ada_row
        order = http.post("/api/orders", json={"quantity": 3})
        assert order.status_code == 201, order.text
        assert order.json()["note"] is None
        assert http.get(f"/api/orders/{order.json()['id']}").json() == order.json()
        assert http.post("/api/orders", json={"quantity": "many"}).status_code == 422


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_add_db_moves_in_memory_endpoints_onto_the_database_and_their_tests_pass_unchanged(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    fastasync("new", "shop", "--yes", "--db", "none", "--no-docker", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "endpoint", "products", "name:str", "price:float", cwd=root)
    fastasync("add", "endpoint", "tags", cwd=root)
    routes = {
        name: (root / f"app/api/routes/{name}.py").read_text() for name in ("products", "tags")
    }
    tests = {
        name: (root / f"tests/api/routes/test_{name}.py").read_text()
        for name in ("products", "tags")
    }

    fastasync("add", "db", "--kind", kind, cwd=root)
    for name in ("products", "tags"):
        assert (root / f"app/api/routes/{name}.py").read_text() == routes[name]
        assert (root / f"tests/api/routes/test_{name}.py").read_text() == tests[name]
        assert (root / f"app/models/{name}.py").exists()
    env = {}
    if kind == "postgres":
        env = {"DATABASE_URL": request.getfixturevalue("postgres_url")}
        env["TEST_DATABASE_URL"] = env["DATABASE_URL"]
    output = check_project(root, env=env)
    assert " passed" in output and "failed" not in output and "skipped" not in output


def test_two_workers_share_jobs_through_the_database(tmp_path: Path, postgres_url: str) -> None:
    """A job started through one worker process is found by the other.

    Forty fresh connections reach both workers: with the job store in process memory
    some of them answer 404 (seen before the store became a table)."""
    fastasync(
        "new", "shop", "--yes", "--db", "postgres", "--no-docker", "--ci", "none", cwd=tmp_path
    )
    root = tmp_path / "shop"
    fastasync("add", "task", "greet", cwd=root)
    alembic(root, "upgrade", "head", database_url=postgres_url)
    env = {"DATABASE_URL": postgres_url}
    with serve(root, env=env, workers=2) as base_url:
        # A new connection per request, so the kernel spreads them over both workers.
        started = httpx.post(
            f"{base_url}/api/jobs/greet", json={"message": "hi", "delay_seconds": 0.5}
        )
        assert started.status_code == 202, started.text
        location = str(httpx.URL(base_url).join(started.headers["location"]))
        for _ in range(40):
            answer = httpx.get(location, headers={"Connection": "close"})
            assert answer.status_code == 200, answer.text
        with httpx.Client(base_url=base_url, timeout=30) as http:
            job = follow_job(http, location)
        assert job["status"] == "succeeded" and job["result"] == {"message": "hi"}
