"""Fixtures shared by every test folder: generated projects to copy from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app as cli_app


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
