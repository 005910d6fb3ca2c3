"""This environment runs what a generated project would install.

The e2e tests run generated projects' checks with this repository's interpreter, so
the dev extra in this repository's pyproject.toml must install versions that every
range a generated project declares accepts (runtime, dev, Celery's and the
databases'). tests/e2e/test_lowest_versions_e2e.py checks the other end: the
projects at their lower bounds.
"""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.requirements import Requirement

from fastasync_cli.generators.db import DRIVERS
from fastasync_cli.generators.db import REQUIREMENTS as DB_REQUIREMENTS
from tests.unit.dependency_tree import top_requirements

GENERATED = [*top_requirements(), *DB_REQUIREMENTS, *DRIVERS.values()]


@pytest.mark.parametrize("line", GENERATED)
def test_the_installed_version_is_in_the_generated_range(line: str) -> None:
    requirement = Requirement(line)
    installed = metadata.version(requirement.name)
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is installed here, but generated projects "
        f"declare {requirement.specifier}: update the range or this repository's dev extra"
    )
