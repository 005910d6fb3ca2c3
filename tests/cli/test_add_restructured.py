"""`fastasync add` on projects the user restructured: what it writes, and the lines
it prints for adding by hand when it cannot edit a file safely."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from fastasync_cli.cli import app
from tests.cli.helpers import add, runner


def test_a_new_task_s_lines_by_hand_only_say_what_to_add(project: Path) -> None:
    """The lines printed for a new local task began with `# take report.task out of
    the CELERY_TASKS list`, on a project without Celery; that line is for a task moved
    from the other backend (--force) only."""
    registry = project / "app/tasks/__init__.py"
    registry.write_text(
        registry.read_text().replace("TASKS: list[TaskSpec] = []", "TASKS: list[TaskSpec] = list()")
    )
    result = add(project, "task", "report")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[2:] == [
        "    from app.tasks import report",
        "    report.task,  # in the TASKS list",
    ]


def test_env_example_lines_with_export_count_as_documented(project: Path) -> None:
    """`export NAME=value` (python-dotenv and shells read it) was not seen as NAME, so
    `add client` documented the setting a second time."""
    env = project / ".env.example"
    env.write_text(env.read_text() + "\nexport GITHUB_BASE_URL=https://ghe.example.com\n")
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    text = env.read_text()
    assert [line for line in text.splitlines() if "GITHUB_BASE_URL=" in line] == [
        "export GITHUB_BASE_URL=https://ghe.example.com"
    ]
    assert "# GITHUB_TIMEOUT=30.0" in text


def test_a_moved_file_with_the_printed_lines_added_ends_the_loop(project: Path) -> None:
    """app/api/deps.py split into a package: the error said to add the lines "to where
    it moved" and run the command again, which then failed the same way for ever."""
    package = project / "app/api/deps"
    package.mkdir()
    (project / "app/api/deps.py").rename(package / "core.py")
    (package / "__init__.py").write_text(
        '"""Dependencies."""\n\nfrom app.api.deps.core import *  # noqa: F403\n'
    )
    first = add(project, "endpoint", "products")
    assert first.exit_code == 1
    assert first.stderr.splitlines()[1] == (
        "hint: Nothing was written. Restore app/api/deps.py (e.g. from git), or add these "
        "lines to where it moved (importable as app.api.deps), then run the command again:"
    )
    printed = [line[4:] for line in first.stderr.splitlines()[2:]]
    imports = "\n".join(line for line in printed if line.startswith("from "))
    rest = "\n".join(line for line in printed if not line.startswith("from "))
    core = package / "core.py"
    core.write_text(core.read_text().replace('"""\n\n', f'"""\n\n{imports}\n', 1) + f"\n\n{rest}\n")
    second = add(project, "endpoint", "products")
    assert second.exit_code == 0, second.output
    assert "identical  app/api/deps/core.py" in second.stdout
    assert not (project / "app/api/deps.py").exists()


TWO_YIELDS = """\
            if settings.log_level == "DEBUG":
                logging.getLogger("app").debug("started")
                yield state
            else:
                yield state
"""


def test_a_lifespan_with_a_yield_per_branch_is_left_to_the_user(project: Path) -> None:
    """The client was opened before the first `yield` only, in the DEBUG branch: every
    other start had no `request.state.github`, and ruff, mypy and the client's tests
    all passed."""
    main = project / "app/main.py"
    main.write_text(main.read_text().replace("            yield state\n", TWO_YIELDS))
    args = ("client", "github", "--base-url", "https://api.github.com")
    first = add(project, *args)
    assert first.exit_code == 1
    assert first.stderr.splitlines()[0] == (
        "error: app/main.py no longer has a single `yield state` inside `lifespan` (it has "
        "2), so fastasync cannot edit it safely."
    )
    [line] = [line[4:].split("  # ")[0] for line in first.stderr.splitlines() if "stack." in line]
    main.write_text(
        main.read_text()
        .replace(TWO_YIELDS, f"            {line}\n{TWO_YIELDS}")
        .replace(
            "from app.jobs import",
            "from app.clients.github import GithubClient\nfrom app.jobs import",
        )
    )
    second = add(project, *args)
    assert second.exit_code == 0, second.output
    assert "identical  app/main.py" in second.stdout


def _without_pytest_table(pyproject: Path) -> None:
    text = pyproject.read_text()
    start = text.index("[tool.pytest.ini_options]")
    end = text.index("\n[", start + 1)
    pyproject.write_text(text[:start] + text[end + 1 :])


def test_celery_s_pytest_plugin_goes_where_pytest_reads_its_settings(project: Path) -> None:
    """With pytest.ini, pytest ignores pyproject.toml: the plugin went to a table it
    never reads (the Celery tests then missed their fixtures), and with that table
    gone `add celery` stopped for ever, asking for the line in pyproject.toml."""
    ini = project / "pytest.ini"
    ini.write_text("[pytest]\naddopts = -ra --strict-markers\nanyio_mode = auto\n")
    pyproject = project / "pyproject.toml"
    before = pyproject.read_text()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert ini.read_text() == (
        "[pytest]\naddopts = -ra --strict-markers -p celery.contrib.pytest\nanyio_mode = auto\n"
    )
    assert "celery.contrib.pytest" not in pyproject.read_text()
    assert pyproject.read_text() != before  # the dependencies
    _without_pytest_table(pyproject)
    again = add(project, "celery")
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.stdout


def test_celery_s_pytest_plugin_in_setup_cfg(project: Path) -> None:
    _without_pytest_table(project / "pyproject.toml")
    setup = project / "setup.cfg"
    setup.write_text("[metadata]\nname = demo\n\n[tool:pytest]\ntestpaths = tests\n")
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert setup.read_text() == (
        "[metadata]\nname = demo\n\n[tool:pytest]\naddopts = -p celery.contrib.pytest\n"
        "testpaths = tests\n"
    )


def test_celery_s_pytest_plugin_in_pytest_9_s_native_table(project: Path) -> None:
    """pytest 9 reads `[tool.pytest]` with native TOML values; `add celery` looked for
    `[tool.pytest.ini_options]` only, and stopped for ever on such a project."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.pytest.ini_options]", "[tool.pytest]")
    )
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    text = pyproject.read_text()
    assert "[tool.pytest.ini_options]" not in text
    assert 'addopts = ["-ra", "--strict-markers", "-p", "celery.contrib.pytest"]\n' in text
    assert "Nothing to do" in add(project, "celery").stdout


def test_celery_s_pytest_plugin_in_pytest_toml(project: Path) -> None:
    """pytest.toml comes before every other file pytest reads."""
    config = project / "pytest.toml"
    config.write_text('[pytest]\naddopts = ["-ra"]\nanyio_mode = "auto"\n')
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert config.read_text() == (
        '[pytest]\naddopts = ["-ra", "-p", "celery.contrib.pytest"]\nanyio_mode = "auto"\n'
    )
    assert "celery.contrib.pytest" not in (project / "pyproject.toml").read_text()


def test_celery_s_pytest_plugin_in_a_native_table_with_string_addopts(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace("[tool.pytest.ini_options]", "[tool.pytest]")
    pyproject.write_text(text.replace('addopts = ["-ra", "--strict-markers"]', 'addopts = "-ra"'))
    before = pyproject.read_bytes()
    result = add(project, "celery")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "error: pyproject.toml no longer has `addopts` as a list of strings in "
        "`[tool.pytest]`, so fastasync cannot edit it safely.",
        "hint: Nothing was written. Add these lines to pyproject.toml by hand, then run "
        "the command again:",
    ]
    assert result.stderr.splitlines()[-1] == (
        '    addopts = [..., "-p", "celery.contrib.pytest"]  # in [tool.pytest]'
    )
    assert pyproject.read_bytes() == before


def test_a_name_imported_from_where_fastapi_has_it_is_not_imported_again(
    project: Path,
) -> None:
    """`from starlette.requests import Request` got a second `from fastapi import
    Request` beside it, and the project no longer passed ruff (F811)."""
    deps = project / "app/api/deps.py"
    text = deps.read_text()
    deps.write_text(
        text.replace("HTTPException, Request, status", "HTTPException, status").replace(
            "from typing import Annotated\n",
            "from typing import Annotated\n\nfrom starlette.requests import Request\n",
        )
    )
    result = add(project, "endpoint", "products")
    assert result.exit_code == 0, result.output
    assert deps.read_text().count("import Request") == 1


def test_a_name_the_user_imports_from_elsewhere_is_left_to_the_user(project: Path) -> None:
    deps = project / "app/api/deps.py"
    text = deps.read_text()
    deps.write_text(
        text.replace("Depends, HTTPException", "HTTPException").replace(
            "from app.core.config import Settings\n",
            "from app.core.config import Settings\nfrom app.di import Depends\n",
        )
    )
    before = deps.read_text()
    result = add(project, "endpoint", "products")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: app/api/deps.py no longer has `Depends` free for `from fastapi import "
        "Depends` (it imports `Depends` from app.di), so fastasync cannot edit it safely."
    )
    assert deps.read_text() == before


def test_routers_imported_with_a_star_get_the_new_one_imported(project: Path) -> None:
    """`from app.api.routes import *` binds only what `__all__` lists: the new router
    was registered but never imported, and the app failed on import (NameError)."""
    main = project / "app/api/main.py"
    main.write_text(
        main.read_text()
        .replace("from app.api.routes import health, jobs", "from app.api.routes import *")
        .replace(".router)\n", ".router)  # noqa: F405\n")
    )
    routes = project / "app/api/routes/__init__.py"
    routes.write_text(routes.read_text() + '\n__all__ = ["health", "jobs"]\n')
    result = add(project, "endpoint", "products")
    assert result.exit_code == 0, result.output
    code = main.read_text()
    assert "from app.api.routes import *\nfrom app.api.routes import products\n" in code
    assert "api_router.include_router(products.router)\n" in code
    imported = subprocess.run(
        [sys.executable, "-c", "import app.api.main"],
        cwd=project, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr


def _dependencies_from(pyproject: Path, tables: str) -> list[str]:
    """Make the project's dependencies dynamic, read as `tables` say; return them."""
    text = pyproject.read_text()
    requirements = [str(line) for line in tomlkit.parse(text)["project"]["dependencies"]]
    text = re.sub(
        r"\ndependencies = \[\n.*?\n\]\n", '\ndynamic = ["dependencies"]\n', text, flags=re.S
    )
    pyproject.write_text(text + tables)
    return requirements


def test_dynamic_dependencies_go_to_setuptools_requirements_file(sqlite_project: Path) -> None:
    """`dynamic = ["dependencies"]` stopped every `add` that brings a requirement,
    asking for a `dependencies` list pyproject.toml must not have."""
    project = sqlite_project
    pyproject = project / "pyproject.toml"
    requirements = _dependencies_from(
        pyproject, '\n[tool.setuptools.dynamic]\ndependencies = {file = ["requirements.txt"]}\n'
    )
    listed = project / "requirements.txt"
    listed.write_bytes("".join(f"{line}\r\n" for line in requirements).encode())
    before = pyproject.read_text()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert "   update  requirements.txt" in result.stdout.splitlines()
    assert (
        listed.read_bytes()
        == "".join(f"{line}\r\n" for line in [*requirements, "celery[redis]>=5.7.0,<6"]).encode()
    )
    text = pyproject.read_text()
    assert "celery[redis]" not in text
    assert '"redis>=8.1.0,<9",' in text  # the dev extra is no dynamic list
    assert "celery.contrib.pytest" in text and text != before
    assert result.stderr == ""
    again = add(project, "celery")
    assert again.exit_code == 0, again.output
    assert "identical  requirements.txt" in again.stdout.splitlines()


def test_dynamic_dependencies_go_to_hatch_requirements_file(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    _dependencies_from(
        pyproject, '\n[tool.hatch.metadata.hooks.requirements_txt]\nfiles = ["requirements.txt"]\n'
    )
    listed = project / "requirements.txt"
    listed.write_text("fastapi[standard]>=0.162.5,<1\nSQLAlchemy>=2.0  # pinned\n")
    result = add(project, "db")
    assert result.exit_code == 0, result.output
    assert listed.read_text() == (
        "fastapi[standard]>=0.162.5,<1\nSQLAlchemy>=2.0  # pinned\n"
        "alembic>=1.20.1,<2\naiosqlite>=0.22.1,<1\n"
    )
    assert "[tool.alembic]" in pyproject.read_text()


def test_dynamic_dependencies_from_elsewhere_are_printed_and_the_rest_is_done(
    project: Path,
) -> None:
    """With no requirements file to be found (pdm, a plugin), the command does the
    rest and prints the requirement lines to add by hand, exit 0."""
    pyproject = project / "pyproject.toml"
    _dependencies_from(pyproject, "")
    dry = add(project, "db", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert not (project / "app/db").exists()
    result = add(project, "db")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: pyproject.toml leaves its dependencies to the build backend "
        '(`dynamic = ["dependencies"]`), and fastasync cannot tell where it reads them.',
        "hint: Add these requirements by hand where your build backend reads them:",
        "    sqlalchemy[asyncio]>=2.1.9,<3",
        "    alembic>=1.20.1,<2",
        "    aiosqlite>=0.22.1,<1",
    ]
    assert dry.stderr == result.stderr
    assert (project / "app/db/engine.py").is_file()
    text = pyproject.read_text()
    assert "[tool.alembic]" in text and "aiosqlite" not in text


LOOP = """\
api_router = RouterGroup(prefix="/api", responses=EDGE_RESPONSES)
for module in (jobs,):
    api_router.include_router(module.router)
"""


def _routers_in_a_loop(project: Path) -> Path:
    main = project / "app/api/main.py"
    text = main.read_text()
    start = text.index("api_router = RouterGroup(")
    end = text.index("\n\n\n", start)
    main.write_text(text[:start] + LOOP + text[end + 1 :])
    return main


def test_routers_registered_in_a_loop_extended_by_hand_end_the_loop(project: Path) -> None:
    """app/api/main.py registering its routers in a loop cannot be edited; the user
    added the new module to the loop and imported it, and `add endpoint` kept
    stopping with the same error, since only the printed lines counted as done."""
    main = _routers_in_a_loop(project)
    first = add(project, "endpoint", "users", "name:str")
    assert first.exit_code == 1
    assert first.stderr.splitlines()[2:] == [
        "    from app.api.routes import users",
        "    api_router.include_router(users.router)",
    ]
    assert not (project / "app/api/routes/users.py").exists()
    main.write_text(
        main.read_text()
        .replace("import health, jobs", "import health, jobs, users")
        .replace("(jobs,)", "(jobs, users)")
    )
    before = main.read_text()
    second = add(project, "endpoint", "users", "name:str")
    assert second.exit_code == 0, second.output
    assert "identical  app/api/main.py" in second.stdout
    assert main.read_text() == before
    assert (project / "app/api/routes/users.py").exists()


def test_a_router_in_the_loop_but_not_imported_gets_its_import(project: Path) -> None:
    main = _routers_in_a_loop(project)
    main.write_text(main.read_text().replace("(jobs,)", "(jobs, users)"))
    result = add(project, "endpoint", "users", "name:str")
    assert result.exit_code == 0, result.output
    text = main.read_text()
    assert "from app.api.routes import health, jobs, users\n" in text
    assert "include_router(users.router)" not in text


def test_a_router_in_a_loop_is_not_registered_a_second_time(project: Path) -> None:
    """Beside a loop that includes it, an `include_router` line of another router
    was an anchor, and the new router got a line of its own: included twice."""
    main = project / "app/api/main.py"
    main.write_text(
        main.read_text().replace("import health, jobs", "import health, jobs, users")
        + "\n\nfor module in (users,):\n    api_router.include_router(module.router)\n"
    )
    before = main.read_text()
    result = add(project, "endpoint", "users", "name:str")
    assert result.exit_code == 0, result.output
    assert main.read_text() == before


@pytest.mark.parametrize(
    "nested",
    [
        "if False:\n    api_router.include_router(users.router)\n",
        "def later() -> None:\n    api_router.include_router(users.router)\n",
        "try:\n    pass\nexcept ValueError:\n    api_router.include_router(users.router)\n",
    ],
)
def test_a_registration_that_may_never_run_is_not_taken_for_one(project: Path, nested: str) -> None:
    """A `api_router.include_router(users.router)` inside an `if` or a function no one
    calls counted as the router registered: nothing was added, and the new endpoint
    answered 404. Only one that surely runs at import counts, as for loops."""
    main = project / "app/api/main.py"
    main.write_text(
        main.read_text().replace("import health, jobs", "import health, jobs, users")
        + "\n\n"
        + nested
    )
    result = add(project, "endpoint", "users", "name:str")
    assert result.exit_code == 0, result.output
    top_level = [
        line for line in main.read_text().splitlines() if line.startswith("api_router.include_")
    ]
    assert top_level[-1] == "api_router.include_router(users.router)"
    assert nested in main.read_text()


def test_routers_registered_in_a_function_added_to_by_hand_end_the_loop(project: Path) -> None:
    """With no top-level registration to follow, the printed line added by hand in
    the user's own function still counts as done."""
    main = project / "app/api/main.py"
    text = main.read_text()
    start = text.index("api_router = RouterGroup(")
    end = text.index("\n\n\n", start)
    main.write_text(
        text[:start]
        + "api_router = RouterGroup(prefix='/api')\n\n\ndef register() -> None:\n"
        + "    api_router.include_router(jobs.router)\n\n\nregister()\n"
        + text[end + 1 :]
    )
    first = add(project, "endpoint", "users", "name:str")
    assert first.exit_code == 1
    assert "    api_router.include_router(users.router)" in first.stderr.splitlines()
    main.write_text(
        main.read_text()
        .replace("import health, jobs", "import health, jobs, users")
        .replace("(jobs.router)\n", "(jobs.router)\n    api_router.include_router(users.router)\n")
    )
    before = main.read_text()
    second = add(project, "endpoint", "users", "name:str")
    assert second.exit_code == 0, second.output
    assert main.read_text() == before


def test_a_commented_out_registration_is_not_taken_for_one(project: Path) -> None:
    main = _routers_in_a_loop(project)
    main.write_text(
        main.read_text().replace("import health, jobs", "import health, jobs, users")
        + "\n# api_router.include_router(users.router)\n"
    )
    before = main.read_text()
    result = add(project, "endpoint", "users", "name:str")
    assert result.exit_code == 1
    assert "api_router.include_router(users.router)" in result.stderr
    assert main.read_text() == before
    assert not (project / "app/api/routes/users.py").exists()


def test_a_folder_link_to_nowhere_is_refused(project: Path) -> None:
    """A link to a folder that did not exist (`app/schemas -> ../gone`) was followed:
    the write made `gone` beside `app` and put the new schema there."""
    schemas = project / "app/schemas"
    if schemas.exists():
        shutil.rmtree(schemas)
    schemas.symlink_to("../gone")
    result = add(project, "endpoint", "orders", "name:str")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: app/schemas is a symbolic link to ../gone, which does not exist.",
        "hint: Nothing was written. Remove the link or create the folder it leads to, then "
        "run the command again.",
    ]
    assert not (project / "gone").exists()
    assert not (project / "app/api/routes/orders.py").exists()


LINK_HINT = (
    "hint: Nothing was written. Point the link at a file that exists, or replace it with "
    "the file (e.g. restore it from git), then run the command again."
)


@pytest.mark.parametrize(
    ("rel", "command"),
    [
        ("app/api/main.py", ["endpoint", "orders", "name:str"]),
        ("app/main.py", ["client", "weather", "--base-url", "https://api.example.com"]),
        ("app/core/config.py", ["client", "weather", "--base-url", "https://api.example.com"]),
        ("pyproject.toml", ["celery"]),
    ],
)
@pytest.mark.parametrize("target", ["gone.py", "/nowhere/gone.py"])
def test_a_file_link_to_nowhere_is_named_as_one(
    project: Path, rel: str, command: list[str], target: str
) -> None:
    """app/api/main.py a symbolic link to nothing was "missing", with a hint to
    restore it; one pointing out of the project was a link fastasync would not write."""
    (project / rel).unlink()
    (project / rel).symlink_to(target)
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = add(project, *command)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {rel} is a symbolic link to {target}, which does not exist.",
        LINK_HINT,
    ]
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_an_optional_file_link_to_nowhere_is_skipped_naming_it(project: Path) -> None:
    """.env.example a link to nothing was skipped as "missing"."""
    (project / ".env.example").unlink()
    (project / ".env.example").symlink_to("../shared/.env.example")
    result = add(project, "client", "weather", "--base-url", "https://api.example.com")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"skip +\.env\.example +\(a symbolic link to \.\./shared/\.env\.example, which does "
        r"not exist: not changed, so without",
        " ".join(result.stdout.split()),
    ), result.stdout
    assert (project / ".env.example").is_symlink()
    assert not (project / ".env.example").exists()


def test_a_folder_where_the_journal_goes_is_named(project: Path) -> None:
    """A folder named .fastasync-journal: "another fastasync run is changing this
    project ... run the command again", which failed the same way for ever."""
    (project / ".fastasync-journal").mkdir()
    before = (project / ".fastasync.toml").read_bytes()
    result = add(project, "task", "report")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {project / '.fastasync-journal'} is in the way: it is not a file, and "
        "fastasync keeps the undo journal of a run there while it writes.",
        "hint: Nothing was written. Move it out of the way, then run the command again.",
    ]
    assert (project / ".fastasync.toml").read_bytes() == before
    assert not (project / "app/tasks/report.py").exists()


def test_new_force_into_a_folder_whose_journal_is_a_folder_names_it(tmp_path: Path) -> None:
    (tmp_path / ".fastasync-journal").mkdir()
    result = runner.invoke(app, ["new", str(tmp_path), "--yes", "--force"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].endswith(
        "is in the way: it is not a file, and fastasync keeps the undo journal of a run "
        "there while it writes."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fastasync-journal"]
