"""`[tool.fastasync.check]` values a user may get wrong, and what the check says."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEPS = b"import time\n\n\nasync def handler():\n    time.sleep(1)\n"
NOTHING_SELECTED = (
    "warning: No rule is selected (see `select` and `ignore`): only files that do not "
    "parse (FA001) are reported."
)


def check(*args: str):
    return runner.invoke(app, ["check", *args])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_bytes(SLEEPS)
    return tmp_path


def configure(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(f"[tool.fastasync.check]\n{body}")


def test_an_empty_select_selects_no_rule(folder: Path) -> None:
    """It selected every rule, as if the key were missing (ruff selects none)."""
    configure(folder, "select = []\n")
    result = check()
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


def test_with_no_rule_selected_a_file_that_does_not_parse_is_still_reported(
    folder: Path,
) -> None:
    configure(folder, "select = []\n")
    (folder / "broken.py").write_text("def f(:\n")
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("broken.py:1:7: FA001 SyntaxError: ")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


@pytest.mark.parametrize(
    ("body", "args"),
    [
        ('select = ["FA1"]\nignore = ["FA"]\n', ()),
        ("", ("--select", "FA102", "--ignore", "FA1")),
        ("", ("--ignore", "ALL")),
    ],
)
def test_ignoring_all_that_is_selected_warns(folder: Path, body: str, args: tuple) -> None:
    configure(folder, body)
    result = check(*args)
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr.splitlines() == [NOTHING_SELECTED]


def test_select_on_the_command_line_replaces_an_empty_select(folder: Path) -> None:
    configure(folder, "select = []\n")
    result = check("--select", "FA101")
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:5:5: FA101 ")
    assert result.stderr == ""


def test_a_missing_select_selects_every_rule(folder: Path) -> None:
    configure(folder, 'ignore = ["FA102"]\n')
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("app.py:5:5: FA101 ")
    assert result.stderr == ""


NAME_HINT = (
    "hint: Write the dotted name the call is imported by: a function "
    "(`vendor_sdk.fetch_all`), a class, `Class.method`, or `Class.*` for every method."
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('[""]', '""'),
        ('["vendor sdk.fetch"]', '"vendor sdk.fetch"'),
        ('[" vendor_sdk.fetch"]', '" vendor_sdk.fetch"'),
        ('["vendor_sdk..fetch"]', '"vendor_sdk..fetch"'),
        ('["vendor_sdk.fetch."]', '"vendor_sdk.fetch."'),
        ('["3"]', '"3"'),
        ('["vendor-sdk.fetch"]', '"vendor-sdk.fetch"'),
        ('["vendor_sdk.*.fetch"]', '"vendor_sdk.*.fetch"'),
        ('["vendor_sdk*"]', '"vendor_sdk*"'),
        ('["*"]', '"*"'),
        ('["class.fetch"]', '"class.fetch"'),
        ('["vendor_sdk.fetch()"]', '"vendor_sdk.fetch()"'),
        ('{ "vendor sdk.query" = "FA103" }', '"vendor sdk.query"'),
        ('{ "" = "FA101" }', '""'),
    ],
)
def test_a_name_that_is_not_a_dotted_python_name_exits_2(
    folder: Path, value: str, shown: str
) -> None:
    """Each was taken, could never match a call, and the check passed as if the
    name were not configured."""
    configure(folder, f"extra-blocking-calls = {value}\n")
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {folder / 'pyproject.toml'}: `extra-blocking-calls` holds {shown}, which "
        "is not a dotted Python name.",
        NAME_HINT,
    ]


@pytest.mark.parametrize(
    "name", ["vendor_sdk.fetch", "open", "vendor_sdk.Client.*", "caf\u00e9.r\u00e9cup\u00e8re"]
)
def test_dotted_names_are_taken(folder: Path, name: str) -> None:
    configure(folder, f'extra-blocking-calls = ["{name}"]\n')
    result = check()
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.startswith("app.py:5:5: FA101 ")


def test_a_configured_class_wildcard_is_reported(folder: Path) -> None:
    (folder / "vendor.py").write_text(
        "from vendor_sdk import Client\n\n\nasync def pull(c: Client):\n    c.fetch()\n"
    )
    configure(folder, 'extra-blocking-calls = { "vendor_sdk.Client.*" = "FA103" }\n')
    result = check("--select", "FA103", "--format", "json")
    assert result.exit_code == 1
    assert [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)] == [
        ("vendor.py", 5, "FA103")
    ]


GENERIC_HINT = (
    "hint: Fix [tool.fastasync.check]: its keys are select, ignore, exclude, "
    "extra-blocking-calls and max-file-size."
)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("select = [101]\n", "`select` must be a list of strings; 101 is not one"),
        ('ignore = "FA106"\n', '`ignore` must be a list of strings, not "FA106"'),
        ("exclude = [true]\n", "`exclude` must be a list of strings; true is not one"),
        (
            'extra-blocking-calls = ["a.b", 3]\n',
            "`extra-blocking-calls` must be a list of strings; 3 is not one",
        ),
        (
            'extra-blocking-calls = { "a.b" = 103 }\n',
            '`extra-blocking-calls` gives "a.b" the code 103, not a string',
        ),
        (
            'extra-blocking-calls = "a.b"\n',
            "`extra-blocking-calls` must be a list of dotted names, or a table of dotted "
            'names to codes, not "a.b"',
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named(folder: Path, body: str, what: str) -> None:
    configure(folder, body)
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {folder / 'pyproject.toml'}: {what}.",
        GENERIC_HINT,
    ]


PATTERN_HINT = "hint: Remove it, or name a file or folder (`migrations`) or a glob (`legacy/*.py`)."


@pytest.mark.parametrize("pattern", ["", "  "])
def test_an_empty_exclude_pattern_exits_2(folder: Path, pattern: str) -> None:
    """It matched no file: taken without a word."""
    configure(folder, f'exclude = ["{pattern}"]\n')
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f'error: An empty pattern "{pattern}" in {folder / "pyproject.toml"} (exclude) '
        "leaves nothing out.",
        PATTERN_HINT,
    ]
    (folder / "pyproject.toml").unlink()
    result = check("--exclude", pattern)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f'error: An empty pattern "{pattern}" in --exclude leaves nothing out.',
        PATTERN_HINT,
    ]


@pytest.mark.parametrize(
    "pattern",
    ["migrations/", "./migrations", "{folder}/migrations", "**/migrations", "migrations/*"],
)
def test_exclude_patterns_written_as_in_ruff_leave_the_folder_out(
    folder: Path, pattern: str
) -> None:
    """The first four matched nothing: every migration was checked."""
    (folder / "migrations" / "versions").mkdir(parents=True)
    (folder / "migrations" / "env.py").write_bytes(SLEEPS)
    (folder / "migrations" / "versions" / "001.py").write_bytes(SLEEPS)
    configure(folder, f'exclude = ["{pattern.format(folder=folder.as_posix())}"]\n')
    result = check("--format", "json")
    assert (result.exit_code, result.stderr) == (1, "")
    assert [f["path"] for f in json.loads(result.stdout)] == ["app.py"]


def test_a_nested_folder_pattern_leaves_only_it_out(folder: Path) -> None:
    (folder / "migrations" / "versions").mkdir(parents=True)
    (folder / "migrations" / "env.py").write_bytes(SLEEPS)
    (folder / "migrations" / "versions" / "001.py").write_bytes(SLEEPS)
    for pattern in ("migrations/versions/", "**/versions"):
        configure(folder, f'exclude = ["{pattern}"]\n')
        result = check("--format", "json")
        assert [f["path"] for f in json.loads(result.stdout)] == [
            "app.py",
            "migrations/env.py",
        ]


def test_a_pyproject_with_a_byte_order_mark_is_read(folder: Path) -> None:
    """It was "not valid TOML (Invalid statement (at line 1, column 1))"; ruff reads it."""
    (folder / "pyproject.toml").write_bytes(
        b'\xef\xbb\xbf[tool.fastasync.check]\nselect = ["FA102"]\n'
    )
    result = check()
    assert (result.exit_code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


def test_a_current_folder_that_was_deleted_exits_2(folder: Path) -> None:
    """It was an "Unexpected FileNotFoundError ... report it"."""
    gone = folder / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    result = check(str(folder / "app.py"))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: The current folder no longer exists (it was deleted or moved).",
        "hint: Change to a folder that exists, and run the check again.",
    ]


TWO_RULES = (
    b"import time\n\nimport httpx\n\n\n"
    b"async def handler():\n    time.sleep(1)\n    httpx.AsyncClient()\n"
)


def test_repeated_select_and_ignore_add_up_as_in_ruff(folder: Path) -> None:
    """Only the last one counted: `--ignore FA101 --ignore FA102` reported FA101."""
    (folder / "app.py").write_bytes(TWO_RULES)

    def codes(*args: str) -> list[str]:
        result = check("--format", "json", *args)
        assert result.stderr == ""
        return [f["code"] for f in json.loads(result.stdout)]

    assert codes() == ["FA101", "FA102"]
    assert codes("--select", "FA101", "--select", "FA102") == ["FA101", "FA102"]
    assert codes("--ignore", "FA101", "--ignore", "FA102") == []
    assert codes("--select", "FA101,FA102", "--ignore", "FA102") == ["FA101"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ignore", ""), "--ignore '' has an empty rule code."),
        (("--ignore", "FA1,,FA2"), "--ignore 'FA1,,FA2' has an empty rule code."),
        (("--select", "FA101,"), "--select 'FA101,' has an empty rule code."),
        (("--select", "FA101", "--select", ""), "--select '' names no rule code, "),
    ],
)
def test_an_empty_rule_code_is_refused_as_in_ruff(
    folder: Path, args: tuple[str, ...], message: str
) -> None:
    """`--ignore ""` ignored nothing and `--select FA101,` passed, silently; ruff refuses
    both ("Unknown rule selector ``"). Each value is quoted as it was typed."""
    (folder / "app.py").write_bytes(TWO_RULES)
    result = check(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    error, hint = result.stderr.splitlines()
    assert error.startswith(f"error: {message}")
    assert hint.startswith("hint: ")


@pytest.mark.parametrize(
    ("body", "args", "code", "where"),
    [
        ('select = ["fa101"]\n', (), "fa101", "{pyproject} (select)"),
        ('ignore = ["FA101", "Fa1"]\n', (), "Fa1", "{pyproject} (ignore)"),
        ('select = ["all"]\n', (), "all", "{pyproject} (select)"),
        ("", ("--select", "FA102,fa101"), "fa101", "--select"),
        ("", ("--ignore", "fa1"), "fa1", "--ignore"),
        # It printed FA101's documentation; ruff refuses `ruff rule f401` too.
        ("", ("--explain", "fa101"), "fa101", "--explain"),
        ("", ("--explain", "Fa001"), "Fa001", "--explain"),
    ],
)
def test_a_rule_code_in_lowercase_is_refused_as_in_ruff(
    folder: Path, body: str, args: tuple[str, ...], code: str, where: str
) -> None:
    """`select = ["fa101"]` was taken as FA101; ruff refuses a lowercase selector
    ("Unknown rule selector `f401` in `select`"), and `ruff rule f401` ("invalid value
    'f401' for '[RULE]'")."""
    configure(folder, body)
    result = check(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    where = where.format(pyproject=folder / "pyproject.toml")
    assert result.stderr.splitlines() == [
        f"error: Unknown rule code `{code}` in {where}: rule codes are written in capitals.",
        f"hint: Write `{code.upper()}`.",
    ]


def test_a_lowercase_code_for_an_extra_blocking_call_is_refused(folder: Path) -> None:
    configure(folder, 'extra-blocking-calls = { "vendor.fetch" = "fa103" }\n')
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {folder / 'pyproject.toml'}: `extra-blocking-calls` gives `vendor.fetch` "
        "the code `fa103`: rule codes are written in capitals.",
        "hint: Write `FA103`.",
    ]
