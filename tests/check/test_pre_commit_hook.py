"""The pre-commit hook runs the `fastasync check` this repository installs."""

from __future__ import annotations

from pathlib import Path

import tomlkit
import yaml

REPO = Path(__file__).parents[2]


def test_hook_runs_fastasync_check_on_the_whole_project() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    scripts = tomlkit.parse((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    command, subcommand = hook["entry"].split()
    assert command in scripts
    assert subcommand == "check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
