"""`fastasync new`: exit codes and the exact messages users see."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli import __version__
from fastasync_cli.cli import app
from fastasync_cli.engine import apply as plan_module

runner = CliRunner()


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"fastasync {__version__}\n"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["-h"])
    assert result.exit_code == 0
    assert "new" in result.stdout and "add" in result.stdout


def test_new_creates_the_project_and_says_what_next(tmp_path: Path) -> None:
    target = tmp_path / "my-app"
    result = runner.invoke(app, ["new", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    made = files(target)
    for expected in [
        ".fastasync.toml",
        ".env.example",
        ".gitignore",
        ".github/workflows/ci.yml",
        "Dockerfile",
        "compose.yaml",
        "README.md",
        "pyproject.toml",
        "app/main.py",
        "app/api/main.py",
        "app/api/routes/health.py",
        "app/core/config.py",
        "tests/conftest.py",
    ]:
        assert expected in made
    assert 'name = "my-app"' in (target / "pyproject.toml").read_text()
    assert f"Created {len(made)} files in" in result.stdout
    assert 'pip install -e ".[dev]"' in result.stdout
    assert "fastapi dev" in result.stdout


def test_the_cd_step_is_quoted_for_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It printed `cd my projects`, which the shell takes as two arguments."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "my projects", "--name", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert "  cd 'my projects'\n" in result.stdout


def test_no_docker_and_no_ci(tmp_path: Path) -> None:
    target = tmp_path / "plain"
    result = runner.invoke(app, ["new", str(target), "--no-docker", "--ci", "none"])
    assert result.exit_code == 0, result.output
    made = files(target)
    assert not {"Dockerfile", "compose.yaml", ".github/workflows/ci.yml"} & set(made)
    manifest = (target / ".fastasync.toml").read_text()
    assert "docker = false" in manifest and 'ci = "none"' in manifest


def test_name_option_overrides_the_folder_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x"), "--name", "billing-api", "-y"])
    assert result.exit_code == 0, result.output
    assert 'name = "billing-api"' in (tmp_path / "x" / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (
            ["--name", "fastapi"],
            "error: The project name 'fastapi' would shadow the 'fastapi' package the "
            "project imports.",
            "hint: Pick another name, e.g. 'fastapi-app'.",
        ),
        (
            ["--name", "a/b"],
            "error: The project name 'a/b' contains a path separator.",
            "hint: Use a plain name such as 'a-b-app'.",
        ),
        (
            ["--name", ""],
            "error: The project name is empty.",
            "hint: Give a name such as 'app' or 'my-app'.",
        ),
        (
            ["--name", "import"],
            "error: The project name 'import' is a Python keyword.",
            "hint: Pick another name, e.g. 'import-app'.",
        ),
        (
            ["--name", "1st"],
            "error: The project name '1st' starts with a digit, so it cannot be a Python "
            "identifier.",
            "hint: Start it with a letter, e.g. 'app-1st'.",
        ),
    ],
)
def test_bad_names_exit_2_and_write_nothing(
    tmp_path: Path, args: list[str], error: str, hint: str
) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [error, hint]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_folder_named_like_the_stdlib_needs_a_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "asyncio")])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: The project name 'asyncio' would shadow the standard library module 'asyncio'."
    )
    assert not (tmp_path / "asyncio").exists()


def test_a_bad_folder_name_points_at_the_name_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "my app")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: The project name 'my app' may only contain ASCII letters, digits, and single '-' "
        "or '_' between them.",
        "hint: Use a name such as 'my-app', and pass it with --name (the folder can keep its "
        "name).",
    ]
    assert list(tmp_path.iterdir()) == []
    named = runner.invoke(app, ["new", str(tmp_path / "my app"), "--name", "my-app", "-y"])
    assert named.exit_code == 0, named.output


def test_non_empty_folder_exits_1_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = runner.invoke(app, ["new", str(tmp_path), "--name", "demo"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path} already exists and is not empty.",
        "hint: Choose a new folder, or pass --force to generate into it (nothing there is "
        "deleted; files the project would replace are listed as overwrite).",
    ]
    assert files(tmp_path) == ["notes.txt"]


def test_force_keeps_other_files_and_says_overwrite(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "README.md").write_text("old readme\n")
    result = runner.invoke(app, ["new", str(tmp_path), "--name", "demo", "--force", "-v"])
    assert result.exit_code == 0, result.output
    assert "overwrite  README.md" in result.stdout
    assert "   create  app/main.py" in result.stdout
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert (tmp_path / "README.md").read_text() != "old readme\n"


def test_a_file_in_the_way_exits_1(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    result = runner.invoke(app, ["new", str(tmp_path / "taken")])
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0] == f"error: {tmp_path / 'taken'} exists and is not a folder."
    )


def test_a_link_to_nowhere_exits_1(tmp_path: Path) -> None:
    """It said "Could not write ...: File exists" and to check permissions and space."""
    link = tmp_path / "demo"
    link.symlink_to(tmp_path / "gone")
    result = runner.invoke(app, ["new", str(link), "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {link} is a symbolic link to {tmp_path / 'gone'}, which does not exist.",
        "hint: Remove the link or create the folder it leads to, or choose another path, "
        "e.g. fastasync new my-app",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_dry_run_lists_every_file_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "dry"
    result = runner.invoke(app, ["new", str(target), "--dry-run", "--no-docker"])
    assert result.exit_code == 0, result.output
    assert not target.exists()
    lines = result.stdout.splitlines()
    assert "   create  app/main.py" in lines
    assert "   create  .fastasync.toml" in lines
    assert lines[-1].startswith("Dry run: ") and lines[-1].endswith("nothing was written.")


def test_ctrl_c_part_way_leaves_no_half_made_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    calls = []

    def interrupt_on_the_fifth_file(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 5:
            raise KeyboardInterrupt
        real_link(src, dst)

    monkeypatch.setattr(plan_module.os, "link", interrupt_on_the_fifth_file)
    target = tmp_path / "half"
    result = runner.invoke(app, ["new", str(target), "--yes"])
    assert result.exit_code == 130
    assert result.stderr.splitlines() == ["error: Interrupted (Ctrl-C); nothing was changed."]
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_error_has_no_traceback_unless_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("fastasync_cli.generators.project.render_project", broken)
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: Unexpected RuntimeError: disk on fire",
        "hint: Nothing was changed. Run again with --verbose to see the traceback, and report it.",
    ]
    verbose = runner.invoke(app, ["new", str(tmp_path / "p"), "--yes", "--verbose"])
    assert isinstance(verbose.exception, RuntimeError)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder nobody may write to, and the reason the CLI should give.

    Root may write anywhere, so as root this is a read-only bind mount.
    """
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        yield folder, "permission denied"
        os.chmod(folder, 0o755)
        return
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(folder), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only folder as root here: {mounted.stderr.strip()}")
    try:
        yield folder, "the file system is read-only"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_folder_that_cannot_be_written_exits_1(read_only_folder: tuple[Path, str]) -> None:
    folder, reason = read_only_folder
    result = runner.invoke(app, ["new", str(folder / "p"), "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: Cannot write to {folder}: {reason}."
    assert list(folder.iterdir()) == []


def test_new_celery_is_new_then_add_celery(tmp_path: Path) -> None:
    celery = runner.invoke(
        app, ["new", str(tmp_path / "a" / "shop"), "--yes", "--celery", "--db", "none"]
    )
    assert celery.exit_code == 0, celery.output
    assert "celery -A app.worker worker --loglevel INFO  # with Redis at REDIS_URL" in (
        celery.stdout
    )
    plain = runner.invoke(app, ["new", str(tmp_path / "b" / "shop"), "--yes", "--db", "none"])
    assert plain.exit_code == 0, plain.output
    added = runner.invoke(app, ["add", "celery", "--project", str(tmp_path / "b" / "shop")])
    assert added.exit_code == 0, added.output
    a, b = tmp_path / "a" / "shop", tmp_path / "b" / "shop"
    assert files(a) == files(b)
    for name in files(a):
        assert (a / name).read_text() == (b / name).read_text(), name
        assert (a / name).stat().st_mode == (b / name).stat().st_mode, name
    assert "celery = true" in (a / ".fastasync.toml").read_text()


def assert_same_tree(a: Path, b: Path) -> None:
    assert files(a) == files(b)
    for name in files(a):
        assert (a / name).read_text() == (b / name).read_text(), name
        assert (a / name).stat().st_mode == (b / name).stat().st_mode, name


@pytest.mark.parametrize(
    ("new_args", "adds"),
    [
        (["--db", "sqlite"], [["db", "--kind", "sqlite"]]),
        (["--celery", "--db", "postgres"], [["celery"], ["db", "--kind", "postgres"]]),
    ],
)
def test_new_db_is_new_then_add_db(
    tmp_path: Path, new_args: list[str], adds: list[list[str]]
) -> None:
    """`new --db KIND` gives byte for byte what `new --db none` then `add db` gives."""
    a, b = tmp_path / "a" / "shop", tmp_path / "b" / "shop"
    made = runner.invoke(app, ["new", str(a), "--yes", *new_args])
    assert made.exit_code == 0, made.output
    assert "alembic upgrade head  # creates or migrates the database" in made.stdout
    plain = runner.invoke(app, ["new", str(b), "--yes", "--db", "none"])
    assert plain.exit_code == 0, plain.output
    for add in adds:
        added = runner.invoke(app, ["add", *add, "--project", str(b)])
        assert added.exit_code == 0, added.output
    assert_same_tree(a, b)
    kind = new_args[-1]
    assert f'db = "{kind}"' in (a / ".fastasync.toml").read_text()


def test_new_defaults_to_sqlite(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--yes"])
    assert result.exit_code == 0, result.output
    assert 'db = "sqlite"' in (tmp_path / "p" / ".fastasync.toml").read_text()
    assert (tmp_path / "p" / "app" / "db" / "database.py").is_file()


def test_new_db_none_keeps_memory_storage(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--yes", "--db", "none"])
    assert result.exit_code == 0, result.output
    assert 'db = "none"' in (tmp_path / "p" / ".fastasync.toml").read_text()
    assert not (tmp_path / "p" / "app" / "db").exists()
    assert "alembic" not in result.stdout


def test_new_with_an_unknown_db_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--yes", "--db", "mysql"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: Unknown database 'mysql': use sqlite, postgres or none.",
        "hint: sqlite needs nothing installed; postgres uses asyncpg; none keeps the rows "
        "in memory.",
    ]
    assert not (tmp_path / "p").exists()


def _only(tmp_path: Path) -> list[str]:
    return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))


def test_a_path_under_a_file_is_named(tmp_path: Path) -> None:
    """`new a/b` with `a` a file said "Cannot open a: Not a directory" and to check
    that the folder exists and may be read."""
    (tmp_path / "a").write_text("")
    result = runner.invoke(app, ["new", str(tmp_path / "a" / "b"), "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'a'} is not a folder, so 'b' cannot be made under it.",
        "hint: Choose a path whose every part above the new folder is a folder, "
        "e.g. fastasync new my-app",
    ]
    assert _only(tmp_path) == ["a"]


def test_a_path_under_a_link_to_nowhere_is_named(tmp_path: Path) -> None:
    """It said "Could not write ...: File exists" and to check permissions and space."""
    (tmp_path / "a").symlink_to(tmp_path / "gone")
    result = runner.invoke(app, ["new", str(tmp_path / "a" / "b"), "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {tmp_path / 'a'} is a symbolic link to {tmp_path / 'gone'}, which does "
        "not exist, so 'b' cannot be made under it."
    )
    assert _only(tmp_path) == ["a"]


@pytest.mark.parametrize("depth", ["", "deeper/"])
def test_a_folder_name_too_long_for_the_file_system_is_named(tmp_path: Path, depth: str) -> None:
    """ "Could not write ...: File name too long" (or an unexpected OSError and a
    request to report it), and to check permissions and free space."""
    long = "x" * (os.pathconf(tmp_path, "PC_NAME_MAX") + 1)
    result = runner.invoke(app, ["new", str(tmp_path / depth / long), "--name", "ok", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: The folder name '{'x' * 20}...{'x' * 20}' is {len(long)} bytes long; "
        f"this file system takes names of at most {len(long) - 1}.",
        "hint: Choose a shorter name, e.g. fastasync new my-app",
    ]
    assert _only(tmp_path) == []


def test_a_path_too_long_for_the_project_s_files_is_refused(tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_PATH_MAX")
    parts = "/".join(["y" * 200] * ((limit - len(str(tmp_path))) // 201))
    result = runner.invoke(app, ["new", str(tmp_path / parts), "--name", "ok", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == "hint: Choose a folder nearer the root."
    assert f"it would pass the system's limit of {limit}." in result.stderr
    assert _only(tmp_path) == []
