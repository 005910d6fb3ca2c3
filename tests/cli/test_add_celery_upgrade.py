"""`fastasync add celery` on projects earlier fastasync versions made: Celery from
before CELERY_INPUT_MAX_BYTES gets what it lacks, and a project from before
`GET /api/jobs/{id}` took job ids only gets the id-only route. The old shapes are
built from those versions' files (tests/fixtures/, see tests/cli/old_projects.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app
from tests.cli.helpers import add
from tests.cli.old_projects import (
    as_made_before_the_celery_input_limit,
    as_made_before_the_job_id_path,
    follow_the_old_test_note,
)

runner = CliRunner()

# The files the input limit changed, and the one it added.
CHANGED = [
    ".env.example",
    "README.md",
    "app/api/celery_errors.py",
    "app/api/deps.py",
    "app/api/routes/celery_jobs.py",
    "app/core/config.py",
    "app/jobs/celery_jobs.py",
    "tests/conftest.py",
    "tests/jobs/test_celery_input.py",
]


@pytest.fixture(scope="module")
def celery_project_today(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`new demo --yes --db none --celery`, as this fastasync makes it."""
    root = tmp_path_factory.mktemp("celery") / "demo"
    result = runner.invoke(app, ["new", str(root), "--yes", "--db", "none", "--celery"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def old_celery_project(celery_project_today: Path, tmp_path: Path) -> Path:
    """The same project with Celery as fastasync wrote it before the input limit."""
    import shutil

    root = tmp_path / "demo"
    shutil.copytree(celery_project_today, root)
    as_made_before_the_celery_input_limit(root)
    return root


def test_add_celery_again_brings_old_celery_to_what_new_writes_today(
    old_celery_project: Path, celery_project_today: Path
) -> None:
    """It refused the modules as conflicts, and --force left get_celery_jobs without
    its 413: a too large input was a 500."""
    assert "celery_input_max_bytes" not in (old_celery_project / "app/core/config.py").read_text()

    result = add(old_celery_project, "celery")

    assert result.exit_code == 0, result.output
    status = {line.split()[-1]: line.split()[0] for line in result.stdout.splitlines()[1:-2]}
    assert status["app/jobs/celery_jobs.py"] == "update"
    assert status["app/api/celery_errors.py"] == "update"
    assert status["tests/jobs/test_celery_input.py"] == "create"
    for rel in CHANGED:
        assert (old_celery_project / rel).read_bytes() == (
            celery_project_today / rel
        ).read_bytes(), rel
    again = add(old_celery_project, "celery")
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.stdout


def test_a_celery_module_changed_since_is_refused_saying_how_to_get_the_new_code(
    old_celery_project: Path,
) -> None:
    module = old_celery_project / "app/jobs/celery_jobs.py"
    module.write_text(module.read_text() + "\n# mine\n")
    config = (old_celery_project / "app/core/config.py").read_bytes()

    result = add(old_celery_project, "celery")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: These files exist with other content: app/jobs/celery_jobs.py."
    )
    hint = " ".join(result.stderr.split())
    assert "This project has Celery already" in hint
    assert "CELERY_INPUT_MAX_BYTES" in hint
    assert "--force" in hint
    assert (old_celery_project / "app/core/config.py").read_bytes() == config

    forced = add(old_celery_project, "celery", "--force")
    assert forced.exit_code == 0, forced.output
    deps = (old_celery_project / "app/api/deps.py").read_text()
    assert "except CeleryInputTooLargeError as exc:" in deps


def test_a_changed_get_celery_jobs_gets_the_413_s_lines_by_hand(
    old_celery_project: Path,
) -> None:
    deps = old_celery_project / "app/api/deps.py"
    text = deps.read_text()
    old = "    try:\n        celery_jobs: CeleryJobs = request.state.celery_jobs\n"
    assert old in text
    deps.write_text(text.replace(old, f'    request.state.seen = "celery"\n{old}', 1))

    result = add(old_celery_project, "celery")

    assert result.exit_code == 1
    assert "except CeleryInputTooLargeError as exc:" in result.stderr
    assert "in get_celery_jobs, before `except CeleryUnavailableError as exc:`" in result.stderr
    assert "celery_input_max_bytes" not in (old_celery_project / "app/core/config.py").read_text()


# GET /api/jobs/summarize and PUT on a job id, over the app in process.
ANSWERS = """
import json
from uuid import uuid4
from fastapi.testclient import TestClient
from app.core.config import Settings
from app.main import create_app
settings = Settings(_env_file=None, celery_broker_url="memory://",
                    celery_result_backend="cache+memory://")
with TestClient(create_app(settings)) as client:
    task = client.get("/api/jobs/summarize")
    other = client.get("/api/jobs/no-such-job")
    job_id = uuid4().hex
    unknown = client.get(f"/api/jobs/{job_id}")
    schema = client.get("/openapi.json").json()
(parameter,) = schema["paths"]["/api/jobs/{job_id}"]["get"]["parameters"]
print(json.dumps([task.status_code, task.headers.get("allow"), other.json(),
                  unknown.json(), parameter["schema"].get("pattern")]))
"""


def test_add_celery_gives_a_project_from_before_the_job_id_path_the_id_only_route(
    project: Path,
) -> None:
    as_made_before_the_job_id_path(project)
    assert add(project, "task", "summarize").exit_code == 0
    assert '"/{job_id}"' in (project / "app/api/routes/jobs.py").read_text()

    result = add(project, "celery")

    assert result.exit_code == 0, result.output
    assert "update  app/api/routes/jobs.py" in result.stdout
    assert "update  app/jobs/models.py" in result.stdout
    assert result.stderr.splitlines() == [
        "warning: GET /api/jobs/{id} now takes job ids only, as in projects made "
        "today: a task's path answers 405, another path that is not a job id 404 "
        '{"detail": "Not Found"}.',
        "hint: tests/api/routes/test_jobs.py::test_a_404_does_not_echo_a_long_job_id "
        "expects the 404 of an unknown id there; make it expect this:",
        '    assert response.json() == {"detail": "Not Found"}',
    ]
    routes = (project / "app/api/routes/jobs.py").read_text()
    assert '"/{job_id:job_id}"' in routes
    assert "job_id: JobId," in routes
    answers = subprocess.run(
        [sys.executable, "-c", ANSWERS], cwd=project, capture_output=True, text=True, check=False
    )
    assert answers.returncode == 0, answers.stderr
    assert answers.stdout.strip() == (
        '[405, "POST", {"detail": "Not Found"}, {"detail": "No job with this id"}, '
        '"^[0-9a-f]{32}$"]'
    )

    follow_the_old_test_note(project)
    again = add(project, "celery")
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.stdout
    assert again.stderr == ""


def test_a_restructured_get_job_gets_the_path_s_line_by_hand(project: Path) -> None:
    as_made_before_the_job_id_path(project)
    routes = project / "app/api/routes/jobs.py"
    routes.write_text(routes.read_text().replace('    "/{job_id}",', '    "/{id}",', 1))
    before = routes.read_bytes()

    result = add(project, "celery")

    assert result.exit_code == 1
    assert (
        '"/{job_id:job_id}"  # the path of get_job\'s route, instead of "/{job_id}"'
        in result.stderr
    )
    assert routes.read_bytes() == before
