"""The lower bounds a generated project declares are versions it works with.

A project's pyproject.toml says "Lower bounds are the versions this project was
generated and tested with". Every other e2e test installs the newest versions the
ranges allow; these install each direct dependency at its lower bound
(`uv pip install --resolution lowest-direct`), then run the project's own checks. A
bound below the first release that has an API the project uses fails here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Redis, check_project, fastasync, run

UV = [sys.executable, "-m", "uv"]


def _install_lowest(root: Path, venv: Path) -> Path:
    run([*UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=root)
    python = venv / "bin" / "python"
    install = [*UV, "pip", "install", "--quiet", "--python", python]
    run([*install, "--resolution", "lowest-direct", "-e", ".[dev]"], cwd=root)
    return python


def _version(python: Path, package: str, root: Path) -> str:
    return run(
        [python, "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        cwd=root,
    ).strip()


def _lower_bound(root: Path, package: str) -> str:
    """The `>=` bound `package` has in the project's pyproject.toml."""
    for line in (root / "pyproject.toml").read_text().splitlines():
        spec = line.strip().strip('",')
        if spec.split("[")[0].split(">")[0].strip().lower() == package:
            return spec.split(">=", 1)[1].split(",")[0]
    raise AssertionError(f"{package} is not a dependency of {root}")


@pytest.mark.parametrize(
    "options",
    [
        # The default project: SQLite, in-process jobs.
        [],
        # Every optional dependency: PostgreSQL (asyncpg) and Celery with Redis.
        ["--db", "postgres", "--celery"],
    ],
    ids=["sqlite", "postgres-celery"],
)
def test_a_project_passes_its_checks_at_its_lowest_versions(
    tmp_path: Path, options: list[str], request: pytest.FixtureRequest
) -> None:
    fastasync("new", "shop", "--yes", "--no-docker", "--ci", "none", *options, cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "endpoint", "customers", "email:str:unique", "age:int?", cwd=root)
    fastasync("add", "client", "github", "--base-url", "https://api.github.com", cwd=root)
    fastasync("add", "task", "crunch", "--kind", "cpu", cwd=root)
    python = _install_lowest(root, tmp_path / "venv")
    # The resolution really took the lower bounds.
    for package in ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy"):
        assert _version(python, package, root) == _lower_bound(root, package)

    env: dict[str, str] = {}
    if "--celery" in options:
        redis: Redis = request.getfixturevalue("redis")
        env["REDIS_URL"] = redis.url
    if "postgres" in options:
        env["DATABASE_URL"] = env["TEST_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    # As in test_db_e2e.py: the Celery tests share one Redis, so one pytest process.
    output = check_project(root, python=python, env=env, parallel="--celery" not in options)
    assert " passed" in output and "failed" not in output
    if "postgres" in options:
        assert "skipped" not in output, output
