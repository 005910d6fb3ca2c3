"""What users see around the apply step: the project found, odd paths, bad manifests,
interrupts at any moment, help text, and the same bytes on every run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fastasync_cli.cli import app
from tests.cli.helpers import runner, snapshot


def test_a_nested_folder_says_which_project_it_edits(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = project / "services" / "inner"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = runner.invoke(app, ["add", "task", "report", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"project: {project}"


def test_paths_with_brackets_are_printed_not_parsed_as_markup(tmp_path: Path) -> None:
    target = tmp_path / "[bold]x[/]" / "demo"
    result = runner.invoke(app, ["new", str(target), "--yes", "--name", "demo"])
    assert result.exit_code == 0, result.output
    assert "[bold]x[/]" in result.stdout
    result = runner.invoke(app, ["add", "task", "report", "--project", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"project: {target}"


def test_a_non_ascii_default_is_recorded_as_typed(project: Path) -> None:
    result = runner.invoke(
        app, ["add", "endpoint", "cafes", "name:str=Café ✓", "--project", str(project)]
    )
    assert result.exit_code == 0, result.output
    manifest = (project / ".fastasync.toml").read_text(encoding="utf-8")
    assert 'fields = ["name:str=Café ✓"]' in manifest
    schema = (project / "app/schemas/cafes.py").read_text("utf-8")
    assert '= "Café ✓"' in schema


def test_a_manifest_from_a_newer_fastasync_is_refused(project: Path) -> None:
    manifest = project / ".fastasync.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace('fastasync_version = "', 'fastasync_version = "99.0.0"\n#'))
    result = runner.invoke(app, ["add", "task", "report", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: This project was made by fastasync 99.0.0, newer than this one (0.1.0).",
        "hint: Upgrade fastasync to 99.0.0 or later (pipx upgrade fastasync), then run the "
        "command again.",
    ]


def test_a_manifest_version_of_5000_digits_is_named_not_unexpected(project: Path) -> None:
    """Python refuses int() of more than 4300 digits."""
    manifest = project / ".fastasync.toml"
    digits = "9" * 5000
    text = manifest.read_text()
    manifest.write_text(text.replace('fastasync_version = "', f'fastasync_version = "{digits}"\n#'))
    result = runner.invoke(app, ["add", "task", "report", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {manifest} has a fastasync_version '{digits[:24]}'... that is not a version."
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("components = 3\n", "has a `components` that is not a list of [[components]]"),
        ("components = [1]\n", "has a component (number 1) that is not a table"),
        ('[[components]]\nname = "x"\n', "has a component (number 1) without a kind"),
        ("[[components]]\nkind = 1\n", "has a component (number 1) whose kind is not a string"),
        ('[[components]]\nkind = "endpoint"\n', "has a component (number 1) without a name"),
        (
            '[[components]]\nkind = "endpoint"\nname = "items"\nfields = 5\n',
            "has a component (number 1) whose fields are not a list of strings",
        ),
    ],
)
def test_malformed_manifests_are_named_not_unexpected(
    project: Path, extra: str, problem: str
) -> None:
    manifest = project / ".fastasync.toml"
    # Top-level keys go before the first table, tables at the end.
    text = manifest.read_text()
    manifest.write_text(text + extra if extra.startswith("[") else extra + text)
    result = runner.invoke(app, ["add", "task", "report", "--project", str(project)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: {manifest} {problem}."


def test_components_written_as_an_inline_array_stay_valid_toml(project: Path) -> None:
    """`components = [{...}]` is the same TOML as [[components]]: `add` appended a
    table to the inline array and wrote a manifest no TOML parser reads."""
    import tomllib

    manifest = project / ".fastasync.toml"
    inline = 'components = [{kind = "task", name = "first", task_kind = "io", backend = "local"}]\n'
    manifest.write_text(inline + manifest.read_text())
    # A component added, then the same one replaced (--force).
    for kind, extra in (("io", []), ("cpu", ["--force"])):
        args = ["add", "task", "report", "--kind", kind, *extra, "--project", str(project)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        recorded = tomllib.loads(manifest.read_text())["components"]
        assert [(c["name"], c["task_kind"]) for c in recorded] == [
            ("first", "io"),
            ("report", kind),
        ]


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("celery", '"false"', "has a [project] celery that is not true or false"),
        ("docker", "1", "has a [project] docker that is not true or false"),
        ("db", '"mysql"', "has a [project] db 'mysql', not sqlite, postgres or none"),
        ("db", "5", "has a [project] db 5, not sqlite, postgres or none"),
    ],
)
def test_malformed_project_options_are_named(
    project: Path, option: str, value: str, problem: str
) -> None:
    """`celery = "false"` passed for true (add task --backend celery then said the
    task registry had no CELERY_TASKS), an unknown db sent add endpoint to models
    it never wrote."""
    manifest = project / ".fastasync.toml"
    text = manifest.read_text()
    [line] = [line for line in text.splitlines() if line.startswith(f"{option} = ")]
    manifest.write_text(text.replace(line, f"{option} = {value}"))
    before = snapshot(project)
    args = ["add", "task", "report", "--backend", "celery", "--project", str(project)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {manifest} {problem}.",
        "hint: Fix the file by hand, or restore it from git: git checkout -- .fastasync.toml",
    ]
    assert snapshot(project) == before


def test_a_project_file_that_is_not_utf8_is_named(project: Path) -> None:
    before = snapshot(project)
    main = project / "app" / "main.py"
    main.write_bytes(main.read_bytes() + b"# caf\xe9\n")
    result = runner.invoke(app, ["add", "client", "github", "--base-url", "https://x.io",
                                 "--project", str(project)])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("error: app/main.py is not UTF-8 text")
    assert "Unexpected" not in result.stderr
    assert {k: v for k, v in snapshot(project).items() if k != "app/main.py"} == {
        k: v for k, v in before.items() if k != "app/main.py"
    }


def test_crlf_files_stay_crlf_through_an_add(project: Path) -> None:
    for rel in ("app/api/main.py", "app/main.py", ".fastasync.toml"):
        path = project / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = runner.invoke(app, ["add", "endpoint", "products", "--project", str(project)])
    assert result.exit_code == 0, result.output
    for rel in ("app/api/main.py", "app/main.py", ".fastasync.toml"):
        raw = (project / rel).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), rel
        assert raw.count(b"\n") == raw.count(b"\r\n"), rel
    assert b"products.router" in (project / "app/api/main.py").read_bytes()


def test_help_names_arguments_plainly(tmp_path: Path) -> None:
    for args in (["--help"], ["new", "--help"], ["add", "endpoint", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "100"})
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout
        # no choice sets such as {sqlite,postgres,none} as metavars ({MAX} is syntax)
        assert not re.search(r"\{[^}]*,[^}]*\}", result.stdout)
    usage = runner.invoke(app, ["add", "endpoint", "--help"], env={"COLUMNS": "100"})
    assert "Usage: fastasync add endpoint [OPTIONS] NAME [FIELDS...]" in usage.stdout
    usage = runner.invoke(app, ["new", "--help"], env={"COLUMNS": "100"})
    assert "Usage: fastasync new [OPTIONS] PATH" in usage.stdout


def test_the_same_command_on_the_same_tree_writes_the_same_bytes(tmp_path: Path) -> None:
    trees = []
    for folder in ("one", "two"):
        root = tmp_path / folder / "demo"
        assert runner.invoke(app, ["new", str(root), "--yes", "--celery"]).exit_code == 0
        for args in (["endpoint", "products", "price:float"], ["task", "report"]):
            result = runner.invoke(app, ["add", *args, "--project", str(root)])
            assert result.exit_code == 0, result.output
        trees.append(snapshot(root))
    assert trees[0] == trees[1]


# Interrupts at any moment, in a real process: a meta-path hook sends the signal when a
# given module starts importing, so it lands exactly there.
_SCRIPT = """
import os, signal, sys
class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            os.kill(os.getpid(), {signum})
        return None
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["fastasync", *{args!r}]
from fastasync_cli.cli import main
main()
"""


def _run_signalled(
    module: str, signum: int, args: list[str], *, ignored: int | None = None
) -> subprocess.CompletedProcess:
    script = _SCRIPT.format(module=module, signum=int(signum), args=args)

    def ignore() -> None:
        if ignored is not None:
            signal.signal(ignored, signal.SIG_IGN)

    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=ignore,
    )


@pytest.mark.parametrize(
    ("module", "signum"),
    [
        ("fastasync_cli.interrupts", signal.SIGINT),  # before the handlers are complete
        ("typer", signal.SIGTERM),
        ("fastasync_cli.generators.project", signal.SIGHUP),
        ("copier", signal.SIGINT),
    ],
)
def test_an_interrupt_during_imports_is_one_line(tmp_path: Path, module: str, signum: int) -> None:
    target = tmp_path / "demo"
    result = _run_signalled(module, signum, ["new", str(target), "--yes"])
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    assert result.returncode == 128 + signum, result.stderr
    assert result.stderr.splitlines() == [f"error: Interrupted ({name}); nothing was changed."]
    assert not target.exists()


def test_an_interrupt_after_the_work_says_it_was_written(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    # rich.tree is first imported to print the tree of files, after they are written.
    result = _run_signalled("rich.tree", signal.SIGINT, ["new", str(target), "--yes"])
    assert result.returncode == 130, result.stderr
    assert result.stderr.splitlines() == [
        "error: Interrupted (Ctrl-C) after the changes were written; the project has them."
    ]
    assert (target / ".fastasync.toml").is_file()


# A signal while Python finalises, once the command is over: `__del__` of a global of
# the script runs as its modules are torn down, after Python reset its signal handlers.
_LATE_SCRIPT = """
import os, signal, sys
class SignalOnTheWayOut:
    def __del__(self):
        os.kill(os.getpid(), {signum})
        os.write(1, b"still here\\n")
late = SignalOnTheWayOut()
sys.argv = ["fastasync", *{args!r}]
from fastasync_cli.cli import main
main()
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_after_the_command_ended_does_not_kill_it(tmp_path: Path, signum: int) -> None:
    """The default action of the signal killed it, silently (exit 130, 143): the
    command had made its project and said so."""
    target = tmp_path / "demo"
    script = _LATE_SCRIPT.format(signum=int(signum), args=["new", str(target), "--yes"])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("still here\n")
    assert (target / ".fastasync.toml").is_file()


def test_a_signal_its_starter_ignores_stays_ignored(tmp_path: Path) -> None:
    # As under `nohup`: a hang-up must not stop the command.
    target = tmp_path / "demo"
    result = _run_signalled(
        "fastasync_cli.generators.project",
        signal.SIGHUP,
        ["new", str(target), "--yes"],
        ignored=signal.SIGHUP,
    )
    assert result.returncode == 0, result.stderr
    assert (target / ".fastasync.toml").is_file()


def test_ctrl_c_at_a_prompt_exits_130(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    fastasync = shutil.which("fastasync", path=str(Path(sys.executable).parent))
    command = [fastasync] if fastasync else [sys.executable, "-m", "fastasync_cli"]
    child = pexpect.spawn(
        command[0],
        [*command[1:], "new", str(tmp_path / "demo")],
        env={**os.environ, "COLUMNS": "100"},
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"Dockerfile.*\[Y/n\]: ")
    # Let the prompt reach its read: a signal that lands between Python's last check
    # and readline's select() waits there for a key (CPython's own race, not ours;
    # it once hung this test on a loaded machine).
    time.sleep(0.5)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, child.before
    assert "Interrupted (Ctrl-C); nothing was changed." in child.before
    assert not (tmp_path / "demo").exists()


def test_non_ascii_arguments_survive_an_ascii_locale(project: Path) -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", "add", "endpoint", "cafes", "name:str=café",
         "--project", str(project)],
        capture_output=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = (project / ".fastasync.toml").read_text(encoding="utf-8")
    assert 'fields = ["name:str=café"]' in manifest


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            [b"endpoint", b"notes", b"note:str=caf\xe9"],
            "error: The field 'note:str=caf\\udce9' has a default with bytes that are not "
            "UTF-8 text.",
        ),
        (
            [b"client", b"pay", b"--base-url", b"https://pay.example/caf\xe9"],
            "error: --base-url 'https://pay.example/caf\\udce9' holds bytes that are not "
            "UTF-8 text.",
        ),
    ],
)
def test_arguments_that_are_not_utf8_exit_2(
    project: Path, arguments: list[bytes], error: str
) -> None:
    """A Latin-1 terminal sends é as one byte; Python keeps it as a lone surrogate,
    which no file can be written with."""
    before = snapshot(project)
    result = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", "add", *arguments, "--project", str(project)],
        capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    stderr = result.stderr.decode("utf-8", "backslashreplace")
    assert result.returncode == 2, stderr
    assert stderr.splitlines()[0] == error
    assert stderr.splitlines()[1].startswith("hint: ")
    assert snapshot(project) == before


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(project: Path) -> None:
    """SIGKILL mid-apply left `.NAME.<pid>.<random>.fastasync-tmp` files beside the
    project's files for good; the next command holding the lock removes them (the
    killed run's journal names its process), saying so,
    and keeps a file of that suffix that is not of that shape."""
    before = snapshot(project)
    users = project / "notes.fastasync-tmp"
    users.write_text("mine")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastasync_cli", "add", "task", "report"],
        cwd=project,
        env={**os.environ, "FASTASYNC_TEST_APPLY_DELAY": "5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(project.rglob(f".*.{proc.pid}[.-]*.fastasync-tmp")):
        assert proc.poll() is None and time.monotonic() < deadline, "nothing was staged"
        time.sleep(0.01)
    proc.kill()  # still staging: the first file waits 5 s before the next
    proc.wait()
    left = sorted(project.rglob(f".*.{proc.pid}[.-]*.fastasync-tmp"))
    assert left
    shown = ", ".join(path.relative_to(project).as_posix() for path in left)

    dry = runner.invoke(app, ["add", "task", "report", "--project", str(project), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    killed = f"A fastasync run (process {proc.pid}) was killed while writing its changes"
    assert dry.stderr.splitlines()[0] == (
        f"{killed}; a run without --dry-run undoes them and removes its backup and "
        f"temporary files {shown}."
    )
    assert (project / ".fastasync-journal").is_file()
    assert all(path.exists() for path in left)

    result = runner.invoke(app, ["add", "task", "report", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"{killed}; undid them: removed its backup and temporary files {shown}."
    )
    assert not (project / ".fastasync-journal").exists()
    assert list(project.rglob("*.fastasync-tmp*")) == [users]
    assert users.read_text() == "mine"
    after = snapshot(project)
    assert after.keys() >= before.keys()
    assert "app/tasks/report.py" in after


def test_new_force_on_a_project_removes_what_a_killed_run_left(project: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = project / "app" / f".main.py.{gone.pid}.abcdefgh.fastasync-tmp"
    stale.write_text("half")
    result = runner.invoke(app, ["new", str(project), "--yes", "--force", "--db", "none"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"Removed 1 temporary file left by a killed fastasync run: app/{stale.name}"
    )
    assert not stale.exists()


def _files_and_folders(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
        if "__pycache__" not in p.parts
    }


def _kill_when(
    command: list[str],
    journal: Path,
    ready: Callable[[bytes], bool],
    *,
    delay: str,
    cwd: Path | None = None,
    settle: float = 0.0,
) -> int:
    """Run `command` with the test hook pausing `delay` seconds after each step, and
    SIGKILL it `settle` seconds after its journal's bytes are `ready`; its pid."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, "FASTASYNC_TEST_APPLY_DELAY": delay},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if ready(journal.read_bytes()):
                break
        except FileNotFoundError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the moment never came"
        time.sleep(0.002)
    time.sleep(settle)
    proc.kill()
    proc.wait()
    return proc.pid


def _kill_inside_the_commit(project: Path) -> int:
    """Start `add task report` (creates two files, then replaces two) and SIGKILL it
    right after it replaced its first file: the test hook pauses 0.5 s after each."""
    tasks = project / "app" / "tasks" / "__init__.py"
    before = tasks.read_bytes()
    return _kill_when(
        [sys.executable, "-m", "fastasync_cli", "add", "task", "report"],
        project / ".fastasync-journal",
        # The journal names every backup before the first rename: wait for the rename.
        lambda journal: b'"backup"' in journal and tasks.read_bytes() != before,
        delay="0.5",
        cwd=project,
        settle=0.1,
    )


def test_a_run_killed_during_the_commit_is_undone_by_the_next(project: Path) -> None:
    """SIGKILL mid-commit left some files new, some old, a backup and a temporary
    file; the next command holding the lock puts the old tree back from the journal,
    byte for byte, and says so on stderr (a dry run only says what it would do)."""
    mine = project / "app" / "tasks" / "audit.py"
    mine.write_text("# mine\n")  # makes `add task audit` below a conflict: no writes
    before = _files_and_folders(project)
    pid = _kill_inside_the_commit(project)

    mixed = _files_and_folders(project)
    assert mixed[".fastasync-journal"] is not None
    assert "app/tasks/report.py" in mixed and "tests/tasks/test_report.py" in mixed
    assert mixed["app/tasks/__init__.py"] != before["app/tasks/__init__.py"]
    assert mixed[".fastasync.toml"] == before[".fastasync.toml"]  # not reached
    assert list(project.rglob("*.fastasync-backup"))
    left = sorted(project.rglob(f".*.{pid}[.-]*.fastasync-tmp"))
    assert [path.name.split(".")[1:4] for path in left] == [["", "fastasync", "toml"]]
    killed = f"A fastasync run (process {pid}) was killed while writing its changes"
    restored = "app/tasks/__init__.py"
    removed = "tests/tasks/test_report.py, app/tasks/report.py"
    # The backup of the file not reached yet (another name of it), and its staged file.
    temporary = f"..fastasync.toml.0.fastasync-backup, {left[0].relative_to(project).as_posix()}"

    dry = runner.invoke(app, ["add", "task", "audit", "--project", str(project), "--dry-run"])
    assert dry.stderr.splitlines()[0] == (
        f"{killed}; a run without --dry-run undoes them and restores {restored}; removes "
        f"{removed}; removes its backup and temporary files {temporary}."
    )
    assert dry.stderr.splitlines()[1] == (
        "The changes below are planned against the files as the killed run left them; "
        "after the undo, a run may plan differently."
    )
    assert _files_and_folders(project) == mixed

    result = runner.invoke(app, ["add", "task", "audit", "--project", str(project)])
    assert result.exit_code == 1, result.output  # the conflict, planned on the old tree
    assert result.stderr.splitlines()[0] == (
        f"{killed}; undid them: restored {restored}; removed {removed}; removed its "
        f"backup and temporary files {temporary}."
    )
    assert _files_and_folders(project) == before

    again = runner.invoke(app, ["add", "task", "report", "--project", str(project)])
    assert again.exit_code == 0, again.output
    assert "killed" not in again.stderr
    assert not list(project.rglob("*.fastasync-*")) and not list(project.rglob(".*.fastasync-*"))


def test_a_new_killed_during_the_commit_is_undone_by_the_next_new(
    pristine_project: Path, tmp_path: Path
) -> None:
    """A killed `new` left a half-made folder with its journal; the next `new` there
    (no --force needed: the folder is its own) removes what it wrote, then makes it."""
    target = tmp_path / "demo"
    command = [sys.executable, "-m", "fastasync_cli", "new", str(target), "--yes", "--db", "none"]
    journal = target / ".fastasync-journal"
    pid = _kill_when(command, journal, lambda text: text.count(b'"create"') >= 3, delay="0.02")
    assert journal.is_file()

    result = runner.invoke(app, ["new", str(target), "--yes", "--db", "none"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"A fastasync run (process {pid}) was killed while writing its changes; "
        "undid them: removed "
    )
    assert _files_and_folders(target) == _files_and_folders(pristine_project)


def test_add_in_the_folder_of_a_killed_new_undoes_it_and_says_so(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    target = tmp_path / "demo"
    target.mkdir()
    (target / ".fastasync.toml").write_bytes(b"[fastasync]\n")
    lines = [
        {"journal": 1, "pid": gone.pid},
        {"dir": "."},
        {"create": ".fastasync.toml", "sha256": hashlib.sha256(b"[fastasync]\n").hexdigest()},
    ]
    (target / ".fastasync-journal").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = runner.invoke(app, ["add", "task", "report", "--project", str(target)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[:2] == [
        f"A fastasync run (process {gone.pid}) was killed while writing its changes; undid "
        "them: removed .fastasync.toml.",
        f"error: {target} was being made by a `fastasync new` that was killed; undoing it "
        "removed the folder.",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_reader_gone_from_stdout_does_not_stop_the_command(project: Path) -> None:
    """`fastasync add ... | head -1`: the broken pipe stopped the command with a silent
    exit 1, before or after apply depending on when the reader left."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fastasync_cli", "add", "task", "crunch"],
            cwd=project,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert (project / "app/tasks/crunch.py").is_file()
