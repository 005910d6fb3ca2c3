"""The generated GitHub workflow: pinned actions, the project's Pythons, services, zizmor-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml
from typer.testing import CliRunner

from fastasync_cli.cli import app

WORKFLOW = ".github/workflows/ci.yml"
ZIZMOR = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")


def workflow(root: Path) -> dict:
    return yaml.safe_load((root / WORKFLOW).read_text())


def steps(root: Path) -> list[dict]:
    return workflow(root)["jobs"]["test"]["steps"]


def zizmor(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    assert ZIZMOR is not None, "zizmor is in the dev extra: pip install -e '.[dev]'"
    # --offline: the audits that ask GitHub's API are skipped; the rest run locally.
    return subprocess.run(
        [ZIZMOR, "--offline", *options, WORKFLOW],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_action_is_pinned_to_a_commit_with_its_release_named(project: Path) -> None:
    text = (project / WORKFLOW).read_text()
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert {name for name, _, _ in uses} == {
        "actions/checkout",
        "actions/setup-python",
        "astral-sh/setup-uv",
    }
    for name, ref, comment in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name} is not pinned to a commit"
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{name} does not name its release"


def test_checkout_does_not_keep_the_token(project: Path) -> None:
    checkout = next(s for s in steps(project) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False


def test_the_matrix_has_the_oldest_python_and_the_docker_images(project: Path) -> None:
    versions = workflow(project)["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    oldest = re.fullmatch(r">=(\d+\.\d+)", pyproject["project"]["requires-python"])
    assert oldest is not None
    docker = re.findall(r"^FROM python:(\d+\.\d+)", (project / "Dockerfile").read_text(), re.M)
    assert docker and set(docker) | {oldest[1]} <= set(versions)


def test_ci_runs_lint_format_types_and_tests(project: Path) -> None:
    commands = [s["run"] for s in steps(project) if "run" in s]
    assert commands == [
        "uv sync",
        "uv run --no-sync ruff check .",
        "uv run --no-sync ruff format --check .",
        "uv run --no-sync mypy",
        "uv run --no-sync pytest",
    ]


def test_the_workflow_is_zizmor_clean_even_pedantic(project: Path) -> None:
    result = zizmor(project, "--persona", "pedantic")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_celery_project_gets_redis_in_ci(project: Path) -> None:
    result = CliRunner().invoke(app, ["add", "celery", "--project", str(project)])
    assert result.exit_code == 0, result.output
    job = workflow(project)["jobs"]["test"]
    assert job["services"]["redis"]["image"].startswith("redis:")
    assert job["services"]["redis"]["ports"] == ["6379:6379"]
    assert job["env"]["REDIS_URL"] == "redis://localhost:6379/0"
    # The image is pinned by tag, as in compose.yaml; the default persona has no finding.
    result = zizmor(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_workflow_without_ci(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    result = CliRunner().invoke(app, ["new", str(root), "--yes", "--ci", "none"])
    assert result.exit_code == 0, result.output
    assert not (root / ".github").exists()
    result = CliRunner().invoke(app, ["add", "celery", "--project", str(root)])
    assert result.exit_code == 0, result.output
    assert not (root / ".github").exists()
