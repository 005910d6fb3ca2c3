"""`fastasync add` on projects the user restructured: what it writes, and the lines
it prints for adding by hand when it cannot edit a file safely."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()


def add(project: Path, *args: str) -> object:
    return runner.invoke(app, ["add", *args, "--project", str(project)])


def test_a_new_task_s_lines_by_hand_only_say_what_to_add(project: Path) -> None:
    """The lines printed for a new local task began with `# take report.task out of
    the CELERY_TASKS list`, on a project without Celery; that line is for a task moved
    from the other backend (--force) only."""
    registry = project / "app/tasks/__init__.py"
    registry.write_text(
        registry.read_text().replace("TASKS: list[TaskSpec] = []", "TASKS: list[TaskSpec] = list()")
    )
    result = add(project, "task", "report")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[2:] == [
        "    from app.tasks import report",
        "    report.task,  # in the TASKS list",
    ]


def test_env_example_lines_with_export_count_as_documented(project: Path) -> None:
    """`export NAME=value` (python-dotenv and shells read it) was not seen as NAME, so
    `add client` documented the setting a second time."""
    env = project / ".env.example"
    env.write_text(env.read_text() + "\nexport GITHUB_BASE_URL=https://ghe.example.com\n")
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    text = env.read_text()
    assert [line for line in text.splitlines() if "GITHUB_BASE_URL=" in line] == [
        "export GITHUB_BASE_URL=https://ghe.example.com"
    ]
    assert "# GITHUB_TIMEOUT=30.0" in text
