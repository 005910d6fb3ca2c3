"""Requirements pyproject.toml leaves to its build backend: where they are, and a line
added to a requirements file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastasync_cli.engine.requirements_files import (
    RequirementsSource,
    ensure_requirement_line,
    requirements_source,
)

SETUPTOOLS = """\
[project]
name = "x"
dynamic = ["dependencies", "optional-dependencies"]

[tool.setuptools.dynamic]
dependencies = {file = ["requirements.txt", "more.txt"]}
optional-dependencies.dev = {file = "requirements-dev.txt"}
"""
HATCH = """\
[project]
name = "x"
dynamic = ["dependencies", "optional-dependencies"]

[tool.hatch.metadata.hooks.requirements_txt]
files = ["reqs/base.txt"]

[tool.hatch.metadata.hooks.requirements_txt.optional-dependencies]
dev = ["reqs/dev.txt"]
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name in ("requirements.txt", "requirements-dev.txt", "reqs/base.txt", "reqs/dev.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    return tmp_path


def test_a_static_list_stays_in_pyproject(files: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = []\n'
    assert requirements_source(files, text, None) == RequirementsSource()
    assert requirements_source(files, text, "dev") == RequirementsSource()


def test_setuptools_and_hatch_requirements_files_are_found(files: Path) -> None:
    assert requirements_source(files, SETUPTOOLS, None) == RequirementsSource("requirements.txt")
    assert requirements_source(files, SETUPTOOLS, "dev") == RequirementsSource(
        "requirements-dev.txt"
    )
    assert requirements_source(files, HATCH, None) == RequirementsSource("reqs/base.txt")
    assert requirements_source(files, HATCH, "dev") == RequirementsSource("reqs/dev.txt")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '[project]\ndynamic = ["dependencies"]\n\n[tool.pdm.build]\nrun-setuptools = true\n',
            "pyproject.toml leaves its dependencies to the build backend "
            '(`dynamic = ["dependencies"]`), and fastasync cannot tell where it reads them',
        ),
        (
            '[project]\ndynamic = ["dependencies"]\n\n[tool.setuptools.dynamic]\n'
            'dependencies = {file = ["missing.txt"]}\n',
            "pyproject.toml reads its dependencies from missing.txt, which is missing",
        ),
        (
            '[project]\ndynamic = ["dependencies"]\n\n[tool.setuptools.dynamic]\n'
            'dependencies = {file = ["../shared/requirements.txt"]}\n',
            "pyproject.toml reads its dependencies from ../shared/requirements.txt, "
            "outside the project",
        ),
    ],
    ids=["unknown-backend", "missing-file", "outside"],
)
def test_a_source_fastasync_cannot_use_says_why(files: Path, text: str, reason: str) -> None:
    assert requirements_source(files, text, None) == RequirementsSource(unknown=reason)


def test_a_dynamic_extra_without_a_file_uses_a_dependency_group_of_its_name(
    files: Path,
) -> None:
    text = '[project]\ndynamic = ["optional-dependencies"]\n'
    assert requirements_source(files, text, "dev").unknown == (
        "pyproject.toml leaves its `dev` extra to the build backend "
        '(`dynamic = ["optional-dependencies"]`), and fastasync cannot tell where it reads them'
    )
    grouped = text + '\n[dependency-groups]\ndev = ["pytest"]\n'
    assert requirements_source(files, grouped, "dev") == RequirementsSource()


def test_requirement_lines_are_added_once_keeping_the_user_s_lines() -> None:
    text = "# pinned by hand\nfastapi>=0.1  # web\n-r base.txt\n\nCelery[redis]==5.0\n"
    assert ensure_requirement_line(text, "celery[redis]>=5.7.0,<6") == text
    assert ensure_requirement_line(text, "redis>=8") == text + "redis>=8\n"
    assert ensure_requirement_line("fastapi", "redis>=8") == "fastapi\nredis>=8\n"
    assert ensure_requirement_line("", "redis>=8") == "redis>=8\n"
    # An option or a comment naming it is no requirement of it.
    assert (
        ensure_requirement_line("# redis\n--hash redis\n", "redis")
        == "# redis\n--hash redis\nredis\n"
    )
