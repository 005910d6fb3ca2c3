"""Fixtures shared by every test folder: generated projects to copy from."""

from __future__ import annotations

import shlex
import shutil
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app as cli_app


def readme_production_command(root: Path) -> list[str]:
    """The words of the uvicorn command a generated README gives for production."""
    readme = (root / "README.md").read_text()
    return shlex.split(
        next(line for line in readme.splitlines() if line.startswith("uvicorn app.main:app "))
    )


def pytest_configure(config: pytest.Config) -> None:
    """Deliver SIGINT, SIGTERM and SIGHUP to the test processes and their children.

    fastasync leaves a signal ignored when whoever started it ignores it (`nohup`,
    `trap '' INT`), and a test run started in the background by a script (`cmd &`,
    `nohup`) ignores SIGINT and SIGHUP: the tests of signal handling would then see
    no signal at all. They test what a user at a terminal gets, so the signals get
    their default handling here; the tests that check ignored signals set it up.
    """
    defaults = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
        signal.SIGHUP: signal.SIG_DFL,
    }
    for signum, default in defaults.items():
        if signal.getsignal(signum) is signal.SIG_IGN:
            signal.signal(signum, default)


@pytest.fixture(scope="session")
def pristine_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project as `fastasync new demo --yes --db none` makes it (in-memory storage),
    generated once per worker."""
    root = tmp_path_factory.mktemp("pristine") / "demo"
    result = CliRunner().invoke(cli_app, ["new", str(root), "--yes", "--db", "none"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="session")
def pristine_sqlite_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project as `fastasync new demo --yes` makes it (SQLite), once per worker."""
    root = tmp_path_factory.mktemp("pristine-sqlite") / "demo"
    result = CliRunner().invoke(cli_app, ["new", str(root), "--yes"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def sqlite_project(pristine_sqlite_project: Path, tmp_path: Path) -> Path:
    """A fresh copy of the pristine SQLite project for one test to change."""
    target = tmp_path / "demo"
    shutil.copytree(pristine_sqlite_project, target)
    return target


@pytest.fixture
def project(pristine_project: Path, tmp_path: Path) -> Path:
    """A fresh copy of the pristine project for one test to change."""
    target = tmp_path / "demo"
    shutil.copytree(pristine_project, target)
    return target
