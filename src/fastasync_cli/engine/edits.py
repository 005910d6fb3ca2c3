"""The edits of files the user owns, by kind: Python here (`python_edits`, libcst),
TOML and YAML in `config_edits`. Generators use this module's short name."""

from fastasync_cli.engine import python_edits
from fastasync_cli.engine.python_edits import *  # noqa: F403 (the same API, one list)

__all__ = python_edits.__all__
