"""`fastasync check`: formats, rule selection, noqa, configuration, exit codes, and the
exact messages users see."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app
from tests.cli.test_startup import HEAVY, loaded_modules

runner = CliRunner()

HANDLER = (
    "import time\n\n\ndef pause():\n    time.sleep(1)\n\n\nasync def handler():\n    pause()\n"
)
FA101_LINE = (
    "app.py:9:5: FA101 Sleep `time.sleep` blocks the event loop: handler -> app.pause -> "
    "time.sleep; await an async library instead, make the endpoint a plain `def`, or "
    "offload it with `anyio.to_thread.run_sync` (practice: no blocking calls in `async def`)"
)


@pytest.fixture
def code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.py").write_text(HANDLER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args: str):
    return runner.invoke(app, ["check", *args])


def test_text_format_is_ruffs(code: Path) -> None:
    result = check()
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]


def test_clean_code_exits_0(code: Path) -> None:
    (code / "app.py").write_text("import anyio\n\n\nasync def h():\n    await anyio.sleep(1)\n")
    result = check(".")
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


def test_json_format(code: Path) -> None:
    result = check("--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding["code"] == "FA101"
    assert (finding["path"], finding["line"], finding["column"]) == ("app.py", 9, 5)
    assert finding["chain"] == ["handler", "app.pause", "time.sleep"]
    assert finding["fix"].startswith("await an async library instead")


def test_sarif_format(code: Path) -> None:
    result = check("--format", "sarif")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]][:2] == ["FA001", "FA101"]
    [entry] = run["results"]
    assert entry["ruleId"] == "FA101"
    location = entry["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "app.py"},
        "region": {"startLine": 9, "startColumn": 5},
    }


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        ("my app.py", "my%20app.py"),
        ("#1.py", "%231.py"),
        ("100%.py", "100%25.py"),
        ("café.py", "caf%C3%A9.py"),
        ("a:b.py", "a%3Ab.py"),
    ],
)
def test_sarif_uris_are_uri_references(code: Path, name: str, uri: str) -> None:
    """A path went into `uri` as it was: a space or `#` made an invalid URI, which
    SARIF readers refuse or cut short."""
    (code / "app.py").rename(code / name)
    [entry] = json.loads(check("--format", "sarif").stdout)["runs"][0]["results"]
    assert entry["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": uri}


def test_sarif_uri_of_an_absolute_path_is_a_file_uri(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file outside the working folder is reported by its absolute path."""
    (code / "sub dir").mkdir()
    (code / "app.py").rename(code / "sub dir" / "app.py")
    (code / "elsewhere").mkdir()
    monkeypatch.chdir(code / "elsewhere")
    result = check("--format", "sarif", str(code / "sub dir"))
    [entry] = json.loads(result.stdout)["runs"][0]["results"]
    location = entry["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (code / "sub dir" / "app.py").as_uri()}
    assert "%20" in location["uri"]


def test_github_format(code: Path) -> None:
    result = check("--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        f"::error title=fastasync (FA101),file=app.py,line=9,col=5::{FA101_LINE}\n"
    )


def test_statistics(code: Path) -> None:
    (code / "more.py").write_text(HANDLER.replace("pause", "wait"))
    result = check("--statistics")
    assert (result.exit_code, result.stdout) == (1, "2\tFA101\tblocking-call\n")


def test_statistics_as_json(code: Path) -> None:
    """--format was ignored: the table came out where JSON was asked for."""
    (code / "more.py").write_text(HANDLER.replace("pause", "wait"))
    result = check("--statistics", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{"code": "FA101", "name": "blocking-call", "count": 2}]
    assert json.loads(check("--statistics", "--format", "json", "--ignore", "FA1").stdout) == []


@pytest.mark.parametrize("output", ["sarif", "github"])
def test_statistics_in_a_format_of_findings_exits_2(code: Path, output: str) -> None:
    result = check("--statistics", "--format", output)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: --statistics cannot be printed as {output}.",
        "hint: Use --statistics alone (a table) or with --format json.",
    ]


def test_select_ignore_and_noqa(code: Path) -> None:
    assert check("--select", "FA102").exit_code == 0
    assert check("--select", "FA1").exit_code == 1
    assert check("--ignore", "FA101").exit_code == 0
    (code / "app.py").write_text(HANDLER.replace("    pause()", "    pause()  # noqa: FA101"))
    assert check().exit_code == 0
    (code / "app.py").write_text(HANDLER.replace("    pause()", "    pause()  # noqa: FA102"))
    assert check().exit_code == 1
    (code / "app.py").write_text(HANDLER.replace("    pause()", "    pause()  # noqa"))
    assert check().exit_code == 0


def test_unknown_rule_code_exits_2(code: Path) -> None:
    result = check("--select", "FA101,FA999")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: Unknown rule code `FA999` in --select.",
        "hint: Use codes from FA001 to FA107 or prefixes such as FA1; `fastasync check "
        "--explain CODE` describes a rule.",
    ]


@pytest.mark.parametrize("select", ["", " , "])
def test_an_empty_select_exits_2(code: Path, select: str) -> None:
    """It selected no rule: every file passed, printing "All checks passed!"."""
    result = check("--select", select)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: --select {select!r} names no rule code, so nothing would be checked.",
        "hint: Pass codes or prefixes (--select FA101,FA2), or leave --select out to check "
        "every rule.",
    ]


def test_missing_path_exits_2(code: Path) -> None:
    result = check("nowhere")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: nowhere: no such file or folder.",
        "hint: Pass files or folders that exist, or nothing to check the current folder.",
    ]


MISSING_HINT = "hint: Pass files or folders that exist, or nothing to check the current folder."


def test_a_missing_path_is_reported_and_the_others_are_checked(code: Path) -> None:
    """One missing path stopped the check of every other (ruff checks them, and
    reports the missing one as E902): it is said on stderr, as a file that cannot be
    read is, and the check exits 2."""
    (code / "my app").mkdir()
    (code / "my app" / "more.py").write_text(HANDLER)
    result = check("nowhere.py", "app.py", "gone/", "my app")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        FA101_LINE,
        FA101_LINE.replace("app.py", "my app/more.py").replace("app.pause", "more.pause"),
        "Found 2 errors.",
    ]
    assert result.stderr.splitlines() == [
        "error: nowhere.py: no such file or folder.",
        MISSING_HINT,
        "error: gone: no such file or folder.",
        MISSING_HINT,
    ]


def test_a_missing_path_beside_a_clean_one_does_not_say_all_checks_passed(code: Path) -> None:
    (code / "app.py").write_text("x = 1\n")
    result = check("app.py", "nowhere.py")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: nowhere.py: no such file or folder.",
        MISSING_HINT,
    ]
    result = check("--format", "json", "app.py", "nowhere.py")
    assert (result.exit_code, result.stdout) == (2, "[]\n")


def test_the_configuration_is_the_first_existing_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the one above a path that is not there (the folder it would be in)."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "app.py").write_text(HANDLER)
    (tmp_path / "project" / "pyproject.toml").write_text(
        '[tool.fastasync.check]\nselect = ["FA102"]\n'
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = check("gone/app.py", "../project")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: gone/app.py: no such file or folder.",
        MISSING_HINT,
    ]


def test_every_path_missing_exits_2_naming_each_once(code: Path) -> None:
    result = check("nowhere.py", "missing dir", "nowhere.py")
    assert (result.exit_code, result.stdout) == (2, "")
    # No "No Python files found" either: no path was looked in.
    assert result.stderr.splitlines() == [
        "error: nowhere.py: no such file or folder.",
        MISSING_HINT,
        "error: missing dir: no such file or folder.",
        MISSING_HINT,
    ]


def test_unreadable_file_exits_2(code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As for a user without the permission (the tests may run as root).
    (code / "secret.py").write_text("x = 1\n")
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == "secret.py":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = check()
    # The rest is checked, as ruff checks it (its E902 is a finding of the file).
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]
    assert result.stderr.splitlines() == [
        "error: Cannot read secret.py: Permission denied.",
        "hint: Make the file readable, or leave it out with --exclude.",
    ]


def test_unreadable_file_alone_does_not_say_all_checks_passed(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == "app.py":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: Cannot read app.py: Permission denied.",
        "hint: Make the file readable, or leave it out with --exclude.",
    ]
    result = check("--format", "json")
    assert (result.exit_code, result.stdout) == (2, "[]\n")


TOO_LARGE = [
    "error: data.py: 1,507 bytes, more than the 1,000 bytes a file may have (max-file-size; "
    "a syntax tree takes up to 400 times its file's size in memory).",
    "hint: Leave it out with --exclude (generated code or data?), or raise the limit: "
    '--max-file-size 2kB, or max-file-size = "2kB" in [tool.fastasync.check].',
]


@pytest.mark.parametrize(
    ("setting", "args"),
    [
        ("max-file-size = 1000", ()),
        ('max-file-size = "1kB"', ()),
        ('max-file-size = "1 KB"', ()),
        ("", ("--max-file-size", "1_000")),
        ('max-file-size = "5MB"', ("--max-file-size", "1000B")),
    ],
)
def test_a_file_too_large_is_not_checked_and_the_rest_is(
    code: Path, monkeypatch: pytest.MonkeyPatch, setting: str, args: tuple[str, ...]
) -> None:
    """A 43 MB file of data took 16 GB of memory and four minutes. The limit was fixed
    at 10 MB, and the message did not say how to raise it."""
    (code / "pyproject.toml").write_text(f"[tool.fastasync.check]\n{setting}\n")
    (code / "data.py").write_text("x = [" + "1, " * 500 + "]\n")
    read = []
    read_bytes = Path.read_bytes

    def reading(path: Path) -> bytes:
        read.append(path.name)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", reading)
    result = check(*args)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]
    assert result.stderr.splitlines() == TOO_LARGE
    # Its size was enough: a file of gigabytes was read whole before it was refused.
    assert read == ["app.py"]


@pytest.mark.parametrize("args", [("--max-file-size", "2kB"), ("--max-file-size", "9" * 40)])
def test_a_raised_limit_checks_the_file(code: Path, args: tuple[str, ...]) -> None:
    (code / "pyproject.toml").write_text("[tool.fastasync.check]\nmax-file-size = 1000\n")
    (code / "data.py").write_text("x = [" + "1, " * 500 + "]\n")
    result = check(*args)
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]


SIZE_HINT = (
    "Give a number of bytes (20000000) or a size with its unit (20MB; B, kB, MB, GB, KiB, MiB, GiB)"
)


@pytest.mark.parametrize(
    ("setting", "args", "error", "hint"),
    [
        ("max-file-size = true", (), "{p}: `max-file-size` must be a size, not true.", "."),
        ("max-file-size = 1.5e7", (), "{p}: `max-file-size` must be a size, not 15000000.0.", "."),
        ('max-file-size = "ten"', (), '{p}: `max-file-size` must be a size, not "ten".', "."),
        (
            'max-file-size = "10 parsecs"',
            (),
            '{p}: `max-file-size` must be a size, not "10 parsecs".',
            ".",
        ),
        ("max-file-size = [1]", (), "{p}: `max-file-size` must be a size, not [1].", "."),
        (
            "max-file-size = 0",
            (),
            "{p}: `max-file-size` must be more than 0 bytes, not 0.",
            "; the default is 10MB.",
        ),
        (
            "max-file-size = -1",
            (),
            "{p}: `max-file-size` must be more than 0 bytes, not -1.",
            "; the default is 10MB.",
        ),
        ("", ("--max-file-size", ""), "--max-file-size must be a size, not ''.", "."),
        ("", ("--max-file-size", "1.5MB"), "--max-file-size must be a size, not '1.5MB'.", "."),
        (
            "",
            ("--max-file-size", "-5"),
            "--max-file-size must be more than 0 bytes, not '-5'.",
            "; the default is 10MB.",
        ),
        (
            "",
            ("--max-file-size", "0kB"),
            "--max-file-size must be more than 0 bytes, not '0kB'.",
            "; the default is 10MB.",
        ),
    ],
)
def test_a_bad_max_file_size_exits_2(
    code: Path, setting: str, args: tuple[str, ...], error: str, hint: str
) -> None:
    (code / "pyproject.toml").write_text(f"[tool.fastasync.check]\n{setting}\n")
    result = check(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: " + error.format(p=code / "pyproject.toml"),
        f"hint: {SIZE_HINT}{hint}",
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_python_is_passed_over(code: Path) -> None:
    # Reading it would wait for a writer for ever.
    os.mkfifo(code / "pipe.py")
    result = check()
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_on_the_command_line_exits_2(code: Path) -> None:
    """It was walked as a folder: nothing found, and "All checks passed!"."""
    os.mkfifo(code / "pipe.py")
    result = check("pipe.py")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: pipe.py: not a file or folder (a pipe, socket or device).",
        "hint: Pass Python files, or folders that hold them.",
    ]


@pytest.mark.parametrize("name", ["notes.txt", "logo.PNG", "data.json"])
def test_a_file_that_is_not_python_exits_2(code: Path, name: str) -> None:
    """`check notes.txt` parsed the notes as Python and said all checks passed."""
    (code / name).write_text("x = 1\n")
    result = check(name)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {name}: not a Python file (.py, .pyi, no suffix, or a python `#!` line).",
        "hint: Pass Python files, or folders that hold them.",
    ]


NOT_PYTHON_HINT = "hint: Pass Python files, or folders that hold them."


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_file_that_is_not_python_beside_others_is_reported_and_the_rest_checked(
    code: Path,
) -> None:
    """`check notes.txt app/`, `check /dev/null app.py` or a FIFO among the paths
    stopped the whole run with a usage error, where a missing path is reported and
    the rest checked. ruff parses notes.txt as Python (F821 on its words), takes
    /dev/null as an empty file and waits for ever on a FIFO; a missing path it warns
    of and checks the rest, as this check does for all of them now."""
    (code / "notes.txt").write_text("x = 1\n")
    os.mkfifo(code / "pipe.py")
    result = check("notes.txt", "app.py", "/dev/null", "pipe.py")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [FA101_LINE, "Found 1 error."]
    assert result.stderr.splitlines() == [
        "error: notes.txt: not a Python file (.py, .pyi, no suffix, or a python `#!` line).",
        NOT_PYTHON_HINT,
        "error: /dev/null: not a file or folder (a pipe, socket or device).",
        NOT_PYTHON_HINT,
        "error: pipe.py: not a file or folder (a pipe, socket or device).",
        NOT_PYTHON_HINT,
    ]


def test_a_file_that_is_not_python_alone_does_not_say_no_python_files_found(
    code: Path,
) -> None:
    (code / "notes.txt").write_text("x = 1\n")
    result = check("notes.txt", "notes.txt")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: notes.txt: not a Python file (.py, .pyi, no suffix, or a python `#!` line).",
        NOT_PYTHON_HINT,
    ]


@pytest.mark.parametrize(
    ("name", "first_line"),
    [("manage", ""), ("tool.cgi", "#!/usr/bin/env python3\n"), ("stubs.pyi", "")],
)
def test_scripts_and_stubs_named_on_the_command_line_are_checked(
    code: Path, name: str, first_line: str
) -> None:
    (code / "app.py").rename(code / name)
    (code / name).write_text(first_line + HANDLER)
    result = check(name)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "Found 1 error."


def test_a_folder_without_python_files_warns(code: Path) -> None:
    (code / "docs").mkdir()
    (code / "docs" / "notes.txt").write_text("x\n")
    result = check("docs")
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")
    assert result.stderr == "warning: No Python files found under the given paths.\n"


def test_syntax_error_is_a_finding(code: Path) -> None:
    (code / "app.py").write_text("")
    (code / "broken.py").write_text("def f(:\n")
    result = check()
    assert result.exit_code == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert result.stdout.splitlines()[0] == (
        f"broken.py:1:7: FA001 SyntaxError: invalid syntax (parsed as Python {version}); "
        "fix it, or run the check under the Python the code is written for; nothing in "
        "this file was checked"
    )


@pytest.mark.parametrize(
    ("pyproject", "says"),
    [
        ('[project]\nrequires-python = ">=3.99,<4"\n', "; the project requires 3.99)"),
        ('[tool.poetry.dependencies]\npython = "^3.98"\n', "; the project requires 3.98)"),
        ('[tool.ruff]\ntarget-version = "py397"\n', "; the project requires 3.97)"),
        ('[project]\nrequires-python = ">=3.8"\n', ")"),  # older than this Python
        ("[project]\nname = 'x'\n", ")"),
        ("not toml [", ")"),
    ],
)
def test_a_syntax_error_names_the_newer_python_the_project_requires(
    code: Path, pyproject: str, says: str
) -> None:
    (code / "pyproject.toml").write_text(pyproject)
    (code / "app.py").write_text("")
    (code / "sub").mkdir()
    (code / "sub" / "broken.py").write_text("except A, B:\n")
    result = check("sub")
    assert result.exit_code == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    line = result.stdout.splitlines()[0]
    assert line.startswith("sub/broken.py:1:1: FA001 SyntaxError: ")
    assert f"(parsed as Python {version}{says}; fix it, or run the check" in line


def test_pyproject_settings(code: Path) -> None:
    (code / "vendor.py").write_text(
        "import vendor_sdk\n\n\nasync def pull():\n    vendor_sdk.fetch_all()\n"
    )
    (code / "generated").mkdir()
    (code / "generated" / "old.py").write_text(HANDLER)
    (code / "pyproject.toml").write_text(
        "[tool.fastasync.check]\n"
        'ignore = ["FA106"]\n'
        'exclude = ["generated"]\n'
        'extra-blocking-calls = ["vendor_sdk.fetch_all"]\n'
    )
    result = check("--format", "json")
    assert result.exit_code == 1
    assert [(f["path"], f["line"]) for f in json.loads(result.stdout)] == [
        ("app.py", 9),
        ("vendor.py", 5),
    ]
    (code / "pyproject.toml").write_text('[tool.fastasync.check]\nselect = ["FA102"]\n')
    assert check().exit_code == 0
    assert check("--select", "FA101").exit_code == 1


def test_bad_pyproject_settings_exit_2(code: Path) -> None:
    (code / "pyproject.toml").write_text("[tool.fastasync.check]\nselct = []\n")
    result = check()
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {code / 'pyproject.toml'}: unknown key `selct` in [tool.fastasync.check].",
        "hint: Fix [tool.fastasync.check]: its keys are select, ignore, exclude, "
        "extra-blocking-calls and max-file-size.",
    ]


def test_explain(code: Path) -> None:
    result = check("--explain", "FA102")
    assert result.exit_code == 0
    assert result.stdout.startswith("FA102 client-per-request\n\n## What it does\n")
    assert "## Use instead" in result.stdout


def test_check_loads_no_template_machinery(code: Path) -> None:
    modules = loaded_modules("check", str(code))
    heavy = {m for m in modules for h in HEAVY if m == h or m.startswith(f"{h}.")}
    assert not heavy
    assert "fastasync_cli.check.analysis" in modules
