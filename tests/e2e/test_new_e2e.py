"""Every option combination of `fastasync new` passes its own ruff and pytest."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.conftest import check_project, fastasync, follow_job, run, serve


@pytest.mark.parametrize("docker", ["--docker", "--no-docker"])
@pytest.mark.parametrize("ci", ["github", "none"])
def test_every_combination_is_green(tmp_path: Path, docker: str, ci: str) -> None:
    fastasync("new", "my-app", "--yes", docker, "--ci", ci, cwd=tmp_path)
    root = tmp_path / "my-app"
    assert (root / "Dockerfile").exists() == (docker == "--docker")
    assert (root / ".github/workflows/ci.yml").exists() == (ci == "github")
    if docker == "--docker":
        compose = yaml.safe_load((root / "compose.yaml").read_text())
        assert "healthcheck" in str(compose)
    if ci == "github":
        workflow = yaml.safe_load((root / ".github/workflows/ci.yml").read_text())
        steps = str(workflow)
        assert "ruff check" in steps and "pytest" in steps
    output = check_project(root)
    assert " passed" in output and "failed" not in output


def test_installs_from_its_own_pyproject_and_serves_over_http(tmp_path: Path) -> None:
    """A fresh venv with only the project's declared dependencies runs and serves it."""
    if shutil.which("uv") is None and not (Path(sys.executable).parent / "uv").exists():
        pytest.fail("uv is missing: install the dev dependencies (scripts/test does)")
    fastasync("new", "shop", "--yes", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "task", "greet", cwd=root)
    fastasync("add", "task", "crunch", "--kind", "cpu", cwd=root)
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    run([*uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([*uv, "pip", "install", "--quiet", "--python", python, "-e", f"{root}[dev]"], cwd=root)
    check_project(root, python)
    with serve(root, python) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        assert http.get("/health").json() == {"status": "ok"}
        paths = http.get("/openapi.json").json()["paths"]
        assert {"/health", "/api/jobs/{job_id}", "/api/jobs/greet", "/api/jobs/crunch"} <= set(
            paths
        )
        started = http.post("/api/jobs/greet", json={"message": "hi", "delay_seconds": 0.3})
        assert started.status_code == 202
        job = follow_job(http, started.headers["location"])
        assert job["status"] == "succeeded" and job["result"] == {"message": "hi"}
        assert "running" in job["seen"]
        cpu = http.post("/api/jobs/crunch", json={"below": 1000})
        assert cpu.status_code == 202
        assert follow_job(http, cpu.headers["location"])["result"] == {"primes": 168}
        assert http.get(f"/api/jobs/{uuid.uuid4().hex}").status_code == 404
        not_an_id = http.get("/api/jobs/crunch")
        assert (not_an_id.status_code, not_an_id.headers["allow"]) == (405, "POST")
