"""`fastasync check` on unusual sources, file systems, configurations and options: what
a hostile or unlucky user gives it."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()

SLEEP = b"import time\n\n\nasync def handler():\n"


def check(*args: str):
    return runner.invoke(app, ["check", *args])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def places(result) -> list[tuple[str, int, int]]:
    return [(f["path"], f["line"], f["column"]) for f in json.loads(result.stdout)]


@pytest.mark.parametrize(
    "source",
    [
        SLEEP + '    s = "\u00e9t\u00e9 \U0001f600"; time.sleep(1)\n'.encode(),
        b"# -*- coding: latin-1 -*-\n"
        + SLEEP[: -len(b"\n")]
        + b'\n    s = "\xe9t\xe9 \xe0"; time.sleep(1)\n',
    ],
    ids=["utf-8", "latin-1"],
)
def test_columns_count_characters_not_bytes(folder: Path, source: bytes) -> None:
    """`ast` gives UTF-8 byte offsets: the column was 4 too far right here (ruff: 18)."""
    (folder / "app.py").write_bytes(source)
    result = check("--format", "json")
    assert result.exit_code == 1
    line = source.count(b"\n")
    assert places(result) == [("app.py", line, 18)]


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\x1c", "\u0085", "\u2028"])
def test_noqa_lines_are_numbered_as_python_numbers_them(folder: Path, separator: str) -> None:
    """str.splitlines() broke lines at form feeds and Unicode separators, which Python
    keeps inside a line: the `# noqa` was read one line too low, and missed."""
    source = f'import time\ns = "a{separator}b"\n\n\nasync def handler():\n'
    source += "    time.sleep(1)  # noqa: FA101\n"
    (folder / "app.py").write_text(source, encoding="utf-8")
    result = check()
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_noqa_with_windows_and_old_mac_line_endings(folder: Path, newline: str) -> None:
    lines = [*SLEEP.decode().splitlines(), "    time.sleep(1)  # noqa: FA101", "    x = 1", ""]
    (folder / "app.py").write_bytes(newline.join(lines).encode())
    result = check()
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


@pytest.mark.parametrize(
    ("comment", "silenced"),
    [
        ("#noqa:FA101", True),
        ("# NOQA", True),
        ("# noqa: FA102 FA101", True),
        ("# noqa:FA102,FA101", True),
        ("# noqa: FA101 because the loop is idle here", True),
        ("# type: ignore # noqa: FA101", True),
        ("# noqa: FA102", False),
        # As in ruff: no directive, or one naming no code, silences nothing.
        ("# noqa:", False),
        ("# noqa: explained below", False),
        ("# noqaFA101", False),
        ("# noqa:FA1", False),
    ],
)
def test_noqa_directives_are_read_as_ruff_reads_them(
    folder: Path, comment: str, silenced: bool
) -> None:
    (folder / "app.py").write_bytes(SLEEP + f"    time.sleep(1)  {comment}\n".encode())
    assert check().exit_code == (0 if silenced else 1)


def test_noqa_in_a_string_silences_nothing(folder: Path) -> None:
    """`x = "# noqa"` is not a comment (ruff reports the line)."""
    (folder / "app.py").write_bytes(SLEEP + b'    time.sleep(1); x = "# noqa"\n')
    result = check("--format", "json")
    assert result.exit_code == 1
    assert places(result) == [("app.py", 5, 5)]


@pytest.mark.parametrize(
    ("toml", "what"),
    [
        ("tool = 3\n", "`tool` must be a table"),
        ("[tool]\nfastasync = 3\n", "`tool.fastasync` must be a table"),
        ("[tool.fastasync]\ncheck = [1]\n", "`tool.fastasync.check` must be a table"),
    ],
)
def test_a_pyproject_table_of_the_wrong_type_exits_2(folder: Path, toml: str, what: str) -> None:
    """The first two were an AttributeError, "please report"."""
    (folder / "pyproject.toml").write_text(f"# fastasync\n{toml}")
    (folder / "app.py").write_text("x = 1\n")
    result = check()
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {folder / 'pyproject.toml'}: {what}.",
        "hint: Fix [tool.fastasync.check]: its keys are select, ignore, exclude, "
        "extra-blocking-calls and max-file-size.",
    ]


def test_another_tools_table_of_the_wrong_type_is_not_an_error(folder: Path) -> None:
    """Reading `requires-python` to explain a syntax error was an AttributeError."""
    (folder / "pyproject.toml").write_text("project = 3\n[tool]\nruff = 5\npoetry = 6\n")
    (folder / "broken.py").write_text("def f(:\n")
    result = check("--format", "json")
    assert result.exit_code == 1
    assert places(result) == [("broken.py", 1, 7)]


@pytest.mark.parametrize("key", ["select", "ignore"])
@pytest.mark.parametrize("code", ["", "  "])
def test_an_empty_code_in_the_configuration_exits_2(folder: Path, key: str, code: str) -> None:
    """`ignore = [""]` ignored every rule: "All checks passed!" on any code."""
    (folder / "pyproject.toml").write_text(f'[tool.fastasync.check]\n{key} = ["{code}"]\n')
    (folder / "app.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    result = check()
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: An empty rule code in {folder / 'pyproject.toml'} ({key}).",
        "hint: Remove it, or name a code or prefix such as FA101 or FA1.",
    ]


def _denied(monkeypatch: pytest.MonkeyPatch, function: str, denied: Path) -> None:
    """`os.<function>` fails on `denied` as it does for a user without the permission
    (the tests may run as root, who may read anything)."""
    original = getattr(os, function)

    def refuse(path, *args, **kwargs):
        if Path(path) == denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, function, refuse)


def test_a_folder_that_cannot_be_listed_exits_2(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.walk passed over it without a word: its files were not checked, and
    "All checks passed!". The rest of the tree is still checked."""
    (folder / "app.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    (folder / "secret").mkdir()
    (folder / "secret" / "handlers.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    _denied(monkeypatch, "scandir", folder / "secret")
    result = check("--format", "json")
    assert result.exit_code == 2
    assert places(result) == [("app.py", 5, 5)]
    assert result.stderr.splitlines() == [
        "error: Cannot read secret: Permission denied.",
        "hint: Make the folder readable, or leave it out with --exclude.",
    ]


def test_a_path_in_a_folder_that_cannot_be_searched_exits_2(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check secret/app.py`, `secret` being mode 700 and someone else's, was an
    "Unexpected PermissionError"."""
    (folder / "secret").mkdir()
    (folder / "secret" / "app.py").write_text("x = 1\n")
    _denied(monkeypatch, "stat", Path("secret/app.py"))
    result = check("secret/app.py")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: Cannot read secret/app.py: Permission denied.",
        "hint: Make it readable, or check another path.",
    ]


def test_a_symlink_loop_named_exits_2(folder: Path) -> None:
    """It was an "Unexpected RuntimeError: Symlink loop"."""
    (folder / "loop").symlink_to(folder / "loop")
    result = check("loop")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: loop: a symbolic link that loops (Too many levels of symbolic links).",
        "hint: Point the link at a file or folder, or pass another path.",
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
@pytest.mark.parametrize(
    ("output", "shown"),
    [
        ("text", "bad\ufffd.py:5:5: FA101 "),
        ("json", '"path": "bad\\ufffd.py"'),
        ("github", "file=bad\ufffd.py,line=5,col=5::bad\ufffd.py:5:5: FA101 "),
        ("sarif", '"uri": "bad%FF.py"'),
    ],
)
def test_a_file_name_that_is_not_utf8(folder: Path, output: str, shown: str) -> None:
    """`bad<0xff>.py` was an "Unexpected UnicodeEncodeError" (SARIF always; the others
    where stdout is strict UTF-8). As ruff does, it is shown with U+FFFD; SARIF's uri
    keeps the byte, percent-encoded."""
    (folder / os.fsdecode(b"bad\xff.py")).write_bytes(SLEEP + b"    time.sleep(1)\n")
    result = check("--format", output)
    assert result.exit_code == 1
    assert shown in result.stdout
    if output in ("json", "sarif"):
        assert "\\udcff" not in result.stdout
        json.loads(result.stdout)


def _run_cli(folder: Path, stdout) -> subprocess.CompletedProcess:
    process = subprocess.Popen(
        [sys.executable, "-m", "fastasync_cli", "check", "--format", "json"],
        cwd=folder,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    if stdout is subprocess.PIPE:
        process.stdout.close()  # the reader is gone before anything is written
    _, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, None, stderr)


def test_a_reader_that_stops_reading_is_no_error(folder: Path) -> None:
    """`fastasync check | head -0` was "Unexpected BrokenPipeError ... report it"."""
    (folder / "app.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    result = _run_cli(folder, subprocess.PIPE)
    assert (result.returncode, result.stderr) == (1, b"")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_report_that_cannot_be_written_exits_2(folder: Path) -> None:
    """`> /dev/full` (a full disk) was an "Unexpected OSError ... report it"."""
    (folder / "app.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    with open("/dev/full", "w") as full:
        result = _run_cli(folder, full)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        "error: Cannot write the report: No space left on device.",
        "hint: Send the output somewhere with room (a file on another disk, or a pipe).",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "xml"],
            "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'sarif', 'github'.",
        ),
        (["--select"], "Option '--select' requires an argument."),
        (["--statistics=yes"], "Option '--statistics' does not take a value."),
        (["--formta", "json"], "No such option: --formta (Possible options: --format)"),
    ],
)
def test_a_usage_error_is_one_error_line_and_one_hint(
    folder: Path, args: list[str], message: str
) -> None:
    """Click drew a box of five lines or more, with no `error:` or `hint:`."""
    result = check(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"error: {message}",
        "hint: Run `fastasync check -h` for its arguments and options.",
    ]


def test_a_chain_of_helpers_thousands_deep_is_followed(folder: Path) -> None:
    """Generated code can chain thousands of plain functions: following them
    recursively was an "Unexpected RecursionError", and kept a whole chain per
    function (memory quadratic in the depth)."""
    depth = 30_000
    lines = ["import time", "", "", "def f0():", "    time.sleep(1)"]
    for i in range(1, depth):
        lines += ["", "", f"def f{i}():", f"    f{i - 1}()"]
    lines += ["", "", "async def handler():", f"    f{depth - 1}()", ""]
    (folder / "app.py").write_text("\n".join(lines))
    result = check("--format", "json")
    assert result.exit_code == 1, result.stderr
    [finding] = json.loads(result.stdout)
    assert (finding["code"], finding["line"]) == ("FA101", len(lines) - 1)
    chain = finding["message"].split(": ", 1)[1].split("; ")[0].split(" -> ")
    assert chain[:3] == ["handler", f"app.f{depth - 1}", f"app.f{depth - 2}"]
    assert chain[-2:] == ["app.f0", "time.sleep"] and len(chain) == depth + 2


@pytest.mark.parametrize(
    ("source", "place", "message", "advice"),
    [
        (
            SLEEP + b"    time.sleep(1)\n# \x00\n",
            (6, 3),
            "SyntaxError: source code cannot contain null bytes",
            "save the file as UTF-8 text (a UTF-16 or binary file",
        ),
        (
            "x = 1\r\n".encode("utf-16"),
            (1, 4),
            "SyntaxError: source code cannot contain null bytes",
            "save the file as UTF-8 text (a UTF-16 or binary file",
        ),
        (
            b"x = 1\ns = '\xe9t\xe9'\n",
            (2, 10),  # where Python places it: the end of the string
            "SyntaxError: (unicode error) 'utf-8' codec can't decode byte 0xe9",
            "save the file as UTF-8, or declare its encoding",
        ),
        (
            b"# -*- coding: nope -*-\nx = 1\n",
            (1, 1),
            "SyntaxError: unknown encoding: nope",
            "save the file as UTF-8, or declare its encoding",
        ),
    ],
    ids=["null-byte", "utf-16", "latin-1-undeclared", "unknown-encoding"],
)
def test_a_file_python_cannot_decode_says_so_and_what_to_do(
    folder: Path, source: bytes, place: tuple[int, int], message: str, advice: str
) -> None:
    """They were told to "run the check under the Python the code is written for",
    the null byte was placed at 1:1 whatever its line, and an unknown encoding at
    column -1."""
    (folder / "bad.py").write_bytes(source)
    (folder / "ok.py").write_bytes(SLEEP + b"    time.sleep(1)\n")
    result = check("--format", "json")
    assert result.exit_code == 1, result.output
    bad, ok = json.loads(result.stdout)
    assert ((bad["line"], bad["column"]), bad["code"]) == (place, "FA001")
    assert bad["message"].startswith(message) and "parsed as Python" not in bad["message"]
    assert bad["fix"].startswith(advice)
    assert (ok["path"], ok["code"]) == ("ok.py", "FA101")


@pytest.mark.parametrize(
    ("content", "message", "hint"),
    [
        (
            b"[tool.fastasync.check\n",
            "{}: it is not valid TOML (Expected ']' at the end of a table "
            "declaration (at line 1, column 22)).",
            "Fix the TOML where it says (a missing bracket, quote or value?).",
        ),
        (
            b"[tool.fastasync.check]\nselect = ['FA1\xe9']\n",
            "Cannot read {}: it is not UTF-8 (invalid continuation byte at byte 37).",
            "Save it as UTF-8 (TOML files are), or check another folder.",
        ),
    ],
    ids=["syntax", "encoding"],
)
def test_a_pyproject_that_is_not_toml_says_what_to_fix(
    folder: Path, content: bytes, message: str, hint: str
) -> None:
    """The hint listed the table's keys for a missing bracket, and told a file in
    Latin-1 to be made readable."""
    (folder / "pyproject.toml").write_bytes(content)
    (folder / "app.py").write_text("x = 1\n")
    result = check()
    assert (result.exit_code, result.stdout) == (2, "")
    expected = message.format(folder / "pyproject.toml")
    assert result.stderr.splitlines() == [f"error: {expected}", f"hint: {hint}"]
