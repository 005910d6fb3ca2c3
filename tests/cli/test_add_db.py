"""`fastasync add db`: exit codes, status lines and the exact messages users see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fastasync_cli.generators.component_names import PROJECT_SETTINGS
from fastasync_cli.generators.db_deploy import (
    README_JOBS_IN_MEMORY,
    README_JOBS_IN_MEMORY_EARLIER,
    README_JOBS_IN_TABLE,
)
from tests.cli.helpers import add, snapshot


def test_add_db_moves_endpoints_without_touching_their_routers(project: Path) -> None:
    assert add(project, "endpoint", "products", "name:str", "sku:str:unique").exit_code == 0
    router = (project / "app/api/routes/products.py").read_bytes()
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "   create  app/models/products.py" in lines
    assert "   create  tests/db/test_products_rows.py" in lines
    assert "   update  app/repositories/products.py" in lines
    assert "   update  app/api/deps.py" in lines
    assert not any("routes/products.py" in line for line in lines)
    assert (project / "app/api/routes/products.py").read_bytes() == router
    [migration] = (project / "migrations/versions").glob("*_create_products.py")
    assert 'sa.UniqueConstraint("sku", name=op.f("uq_products_sku"))' in migration.read_text()
    main = (project / "app/main.py").read_text()
    assert "InMemoryProductRepository" not in main
    assert 'state["database"] = await stack.enter_async_context(Database(settings))' in main
    deps = (project / "app/api/deps.py").read_text()
    assert "    return SqlProductRepository(session)\n" in deps
    assert 'db = "sqlite"' in (project / ".fastasync.toml").read_text()
    assert lines[-2:] == [
        "Added the database (sqlite): models in app/models, migrations in migrations/",
        f"Next: cd {project} && alembic upgrade head && pytest",
    ]


def test_add_db_twice_exits_1_and_writes_nothing(project: Path) -> None:
    assert add(project, "db", "--kind", "postgres").exit_code == 0
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: This project already has a database (postgres).",
        "hint: Nothing was written. To add tables, add endpoints: fastasync add endpoint NAME.",
    ]
    assert snapshot(project) == before


def test_a_project_made_with_a_database_refuses_add_db(sqlite_project: Path) -> None:
    result = add(sqlite_project, "db", "--kind", "sqlite")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: This project already has a database (sqlite)."


@pytest.mark.parametrize("kind", ["none", "mysql", ""])
def test_add_db_with_an_unknown_kind_exits_2(project: Path, kind: str) -> None:
    before = snapshot(project)
    result = add(project, "db", "--kind", kind)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: Unknown database {kind!r}: use sqlite or postgres.",
        "hint: sqlite needs nothing installed; postgres uses asyncpg.",
    ]
    assert snapshot(project) == before


def test_add_db_dry_run_writes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = add(project, "db", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+    install_database_errors(app)" in result.stdout
    assert result.stdout.splitlines()[-1] == "Dry run: nothing was written."
    assert snapshot(project) == before


def test_add_db_on_a_restructured_lifespan_prints_the_lines(project: Path) -> None:
    assert add(project, "endpoint", "products").exit_code == 0
    main = project / "app/main.py"
    main.write_text(main.read_text().replace('state["jobs"] =', 'state["runner"] ='))
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        'error: app/main.py no longer has `state["jobs"] = ...` inside `lifespan`, so '
        "fastasync cannot edit it safely.",
        "hint: Nothing was written. Add these lines to app/main.py by hand, then run the "
        "command again:",
    ]
    assert (
        '    state["database"] = await stack.enter_async_context(Database(settings))  '
        '# in the lifespan, before `state["jobs"] = ...`'
    ) in result.stderr
    assert snapshot(project) == before


def test_add_db_on_an_edited_repository_dependency_prints_the_lines(project: Path) -> None:
    assert add(project, "endpoint", "products").exit_code == 0
    deps = project / "app/api/deps.py"
    deps.write_text(
        deps.read_text().replace(
            "= request.state.products_repository",
            "= request.app.state.products_repository",
        )
    )
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: app/api/deps.py no longer has `get_products_repository` as fastasync "
        "generated it, so fastasync cannot edit it safely."
    )
    assert "    return SqlProductRepository(session)" in result.stderr
    assert snapshot(project) == before


def test_add_endpoint_on_a_database_project_writes_model_and_migration(
    sqlite_project: Path,
) -> None:
    result = add(sqlite_project, "endpoint", "users", "email:str{120}:unique", "name:str:index")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "   create  app/models/users.py" in lines
    assert "   create  tests/db/test_users_rows.py" in lines
    assert "   update  app/models/__init__.py" in lines
    [migration] = (sqlite_project / "migrations/versions").glob("*_create_users.py")
    assert f"   create  migrations/versions/{migration.name}" in lines
    assert not any("app/main.py" in line for line in lines)
    # The app starts only on a database at the head (app/db/revision.py).
    assert lines[-1] == (
        f"Next: cd {sqlite_project} && alembic upgrade head && "
        "pytest tests/api/routes/test_users.py"
    )
    again = add(sqlite_project, "endpoint", "users", "email:str{120}:unique", "name:str:index")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "Nothing to do: the project already has all of this."
    assert len(list((sqlite_project / "migrations/versions").glob("*_create_users.py"))) == 1


@pytest.mark.parametrize("fields", [["starts:datetime", "ends:datetime?"], ["active:bool"]])
def test_add_endpoint_with_fields_of_one_kind_writes_a_valid_model(
    sqlite_project: Path, fields: list[str]
) -> None:
    # Datetime columns take their type from app.db.base: nothing to import from
    # sqlalchemy itself.
    result = add(sqlite_project, "endpoint", "slots", *fields)
    assert result.exit_code == 0, result.output
    model = (sqlite_project / "app/models/slots.py").read_text()
    compile(model, "app/models/slots.py", "exec")
    assert ("from sqlalchemy import " in model) == ("active:bool" in fields)


OLD_API_MAIN = """\
from fastapi import APIRouter

from app.api.responses import EDGE_RESPONSES
from app.api.routes import health, jobs

api_router = APIRouter(prefix="/api", responses=EDGE_RESPONSES)
api_router.include_router(jobs.router)

router = APIRouter()
router.include_router(health.router)
router.include_router(api_router)
"""


def test_projects_made_before_include_routers_still_grow(project: Path) -> None:
    # Earlier projects nest an APIRouter of APIRouters and include it with
    # `app.include_router(router)`: `add endpoint` and `add db` edit them as before.
    (project / "app/api/main.py").write_text(OLD_API_MAIN)
    main = project / "app/main.py"
    main.write_text(
        main.read_text()
        .replace("from app.api.main import include_routers", "from app.api.main import router")
        .replace("    include_routers(app)\n", "    app.include_router(router)\n")
    )
    assert add(project, "endpoint", "products").exit_code == 0
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    api_main = (project / "app/api/main.py").read_text()
    assert api_main == OLD_API_MAIN.replace("health, jobs", "health, jobs, products").replace(
        "api_router.include_router(jobs.router)\n",
        "api_router.include_router(jobs.router)\napi_router.include_router(products.router)\n",
    )
    assert "    app.include_router(router)\n    install_database_errors(app)\n" in main.read_text()


def test_add_db_installs_the_error_handlers_after_the_routers(project: Path) -> None:
    assert add(project, "db", "--kind", "sqlite").exit_code == 0
    text = (project / "app/main.py").read_text()
    assert "    include_routers(app)\n    install_database_errors(app)\n" in text


def test_add_db_says_in_the_readme_that_job_records_are_in_the_table(project: Path) -> None:
    readme = project / "README.md"
    assert README_JOBS_IN_MEMORY in readme.read_text()
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert README_JOBS_IN_MEMORY not in text
    assert README_JOBS_IN_TABLE in text
    assert "kept in memory" not in text
    for module in ("app/api/routes/jobs.py", "app/jobs/runner.py"):
        assert "are kept in memory:" not in (project / module).read_text()


def test_add_db_rewrites_the_jobs_paragraph_of_earlier_projects_too(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(
        readme.read_text().replace(README_JOBS_IN_MEMORY, README_JOBS_IN_MEMORY_EARLIER)
    )
    assert add(project, "db").exit_code == 0
    assert README_JOBS_IN_TABLE in readme.read_text()
    assert "kept in memory" not in readme.read_text()


def test_add_db_leaves_a_jobs_paragraph_the_user_rewrote(project: Path) -> None:
    readme = project / "README.md"
    ours = "Our jobs are kept in memory, and that suits us.\n"
    readme.write_bytes(
        readme.read_text().replace(README_JOBS_IN_MEMORY, ours).replace("\n", "\r\n").encode()
    )
    assert add(project, "db", "--kind", "postgres").exit_code == 0
    text = readme.read_bytes().decode()
    assert ours.replace("\n", "\r\n") in text
    assert README_JOBS_IN_TABLE.replace("\n", "\r\n") not in text
    assert "\r\n## The database\r\n" in text


def test_task_modules_say_what_a_restart_does_whatever_the_store(sqlite_project: Path) -> None:
    for kind in ("io", "cpu"):
        result = add(sqlite_project, "task", f"crunch_{kind}", "--kind", kind)
        assert result.exit_code == 0, result.output
        module = (sqlite_project / f"app/tasks/crunch_{kind}.py").read_text()
        assert "kept in memory" not in module
        assert "A restart stops" in module or "a restart stops it" in module


@pytest.mark.parametrize("name", ["job", "alembic_version", "alembic-version"])
def test_endpoint_names_a_database_owns_are_refused(project: Path, name: str) -> None:
    """Even before `add db`: the project may get a database later."""
    before = snapshot(project)
    result = add(project, "endpoint", name, "title:str")
    assert result.exit_code == 2
    line, hint = result.stderr.splitlines()
    assert line.startswith(f"error: The endpoint name {name!r} would clash with ")
    assert ("app/models/job.py" if name == "job" else "alembic_version") in line
    assert hint.startswith("hint: Pick another name")
    assert snapshot(project) == before


def test_add_db_refuses_an_endpoint_named_as_the_job_model(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project whose `job` endpoint was made before the name was refused."""
    from fastasync_cli.generators import component_names

    with monkeypatch.context() as patched:
        patched.setattr(component_names, "DATABASE_OWNED_NAMES", {})
        assert add(project, "endpoint", "job", "title:str").exit_code == 0
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: The endpoint 'job' would clash with the job records' model, "
        "app/models/job.py, which the database brings.",
        "hint: Nothing was written. Rename that endpoint by hand (its files and its entry "
        "in .fastasync.toml) or remove it, then run fastasync add db again.",
    ]
    assert snapshot(project) == before


@pytest.mark.parametrize("fixture", ["project", "sqlite_project"])
def test_a_client_named_database_is_refused(fixture: str, request: pytest.FixtureRequest) -> None:
    """Its lifespan line `state["database"] = ...` replaced the app's database, and
    every route that reads or writes rows failed. Refused before `add db` too."""
    project: Path = request.getfixturevalue(fixture)
    before = snapshot(project)
    result = add(project, "client", "database", "--base-url", "https://db.example")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: The client name 'database' would clash with the app's own lifespan state."
    )
    assert snapshot(project) == before


def test_add_db_refuses_a_client_named_database(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project whose `database` client was made before the name was refused."""
    from fastasync_cli.generators import component_names

    with monkeypatch.context() as patched:
        patched.setattr(component_names, "PROJECT_STATE_KEYS", frozenset({"settings"}))
        result = add(project, "client", "database", "--base-url", "https://db.example")
        assert result.exit_code == 0, result.output
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: The client 'database' would clash with the lifespan state the database "
        'brings, state["database"].',
        "hint: Nothing was written. Rename that client by hand (its files and its entry "
        "in .fastasync.toml) or remove it, then run fastasync add db again.",
    ]
    assert snapshot(project) == before


def test_add_db_refuses_an_endpoint_whose_model_would_redefine_an_import(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`updates`, made before such names were refused, got a model `Update` over
    sqlalchemy's: a project that failed its own ruff and mypy."""
    from fastasync_cli.generators import db_schema

    with monkeypatch.context() as patched:
        patched.setattr(db_schema, "MODEL_NEIGHBOURS", frozenset())
        assert add(project, "endpoint", "updates", "title:str").exit_code == 0
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: The endpoint 'updates' would get a model 'Update', a name the modules "
        "beside it already import.",
        "hint: Nothing was written. Rename that endpoint by hand (its files and its entry "
        "in .fastasync.toml) or remove it, then run fastasync add db again.",
    ]
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ('["bad"]', "The field 'bad' is not NAME:TYPE."),
        ('["x:str", "x:int"]', "The field 'x' is given twice."),
    ],
)
def test_add_db_names_endpoint_fields_the_manifest_garbled(
    project: Path, fields: str, problem: str
) -> None:
    """A hand-edited entry was reported as a field typed on the command line (exit 2),
    or, given twice, went on to a model with the column twice."""
    assert add(project, "endpoint", "products", "title:str").exit_code == 0
    manifest = project / ".fastasync.toml"
    manifest.write_text(
        manifest.read_text().replace('fields = ["title:str"]', f"fields = {fields}")
    )
    before = snapshot(project)
    result = add(project, "db")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: .fastasync.toml records an endpoint 'products' that cannot be read back: "
        f"{problem}",
        "hint: Fix the file by hand, or restore it from git: git checkout -- .fastasync.toml",
    ]
    assert snapshot(project) == before


def test_every_setting_of_a_database_project_is_known_to_the_name_checks(
    sqlite_project: Path,
) -> None:
    """A client whose settings reuse one of these would overwrite it (see component)."""
    config = ast.parse((sqlite_project / "app/core/config.py").read_text())
    [settings] = [n for n in config.body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    fields = {
        statement.target.id
        for statement in settings.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    }
    assert "database_pool_timeout" in fields
    assert fields - {"model_config"} <= PROJECT_SETTINGS


@pytest.mark.parametrize(
    ("name", "item", "what"),
    [
        ("rows", "Row", "a name the modules beside its model already import"),
        ("job-records", "JobRecord", "a name the modules beside its model already import"),
        ("bases", "Base", "a name the modules beside its model already import"),
        ("None", "None", "a Python keyword"),
        ("trues", "True", "a Python keyword"),
    ],
)
def test_endpoint_names_whose_item_class_is_taken_are_refused(
    sqlite_project: Path, name: str, item: str, what: str
) -> None:
    """`rows` made a model `Row` redefining sqlalchemy's, `None` a module that did not
    parse ("ruff could not format ..., this is a bug")."""
    before = snapshot(sqlite_project)
    result = add(sqlite_project, "endpoint", name, "title:str")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: The endpoint name {name!r} names its items {item!r}, {what}.",
        f"hint: Pick a name whose singular differs, e.g. '{name.lower()}-records'.",
    ]
    assert snapshot(sqlite_project) == before


def test_a_model_named_test_something_is_not_imported_where_pytest_collects(
    sqlite_project: Path,
) -> None:
    """pytest collects every `Test*` class a test module holds, imported ones too: a
    model `Testimonial` imported into tests/db/test_testimonials_rows.py was a
    PytestCollectionWarning (an error under `-W error`)."""
    result = add(sqlite_project, "endpoint", "testimonials", "body:str")
    assert result.exit_code == 0, result.output
    created = [
        line.split()[-1]
        for line in result.stdout.splitlines()
        if line.startswith("   create  tests/")
    ]
    assert "tests/db/test_testimonials_rows.py" in created
    for rel in created:
        tree = ast.parse((sqlite_project / rel).read_text())
        names = [
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom | ast.Import)
            for alias in node.names
        ]
        assert not [name for name in names if name.startswith("Test")], rel


def test_add_db_refuses_an_endpoint_field_too_long_to_index(project: Path) -> None:
    """An endpoint made with `--db none` before the 650-character rule: `add db`
    would give it an index PostgreSQL cannot build."""
    assert add(project, "endpoint", "products", "name:str", "code:str{40}:unique").exit_code == 0
    manifest = project / ".fastasync.toml"
    text = manifest.read_text("utf-8")
    manifest.write_text(text.replace('"code:str{40}:unique"', '"code:str{1000}:unique"'))
    before = snapshot(project)
    result = add(project, "db", "--kind", "postgres")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: The endpoint 'products' has the field 'code:str{1000}:unique', which is "
        "unique and 1000 characters long: PostgreSQL cannot index more than 650 characters "
        "of text (2,704 bytes, up to 4 per character).",
        "hint: Nothing was written. Lower its maximum to 650 or less (in .fastasync.toml and "
        "its max_length in app/schemas/products.py), or drop :unique from it in "
        ".fastasync.toml, then run fastasync add db again.",
    ]
    assert snapshot(project) == before

    manifest.write_text(text.replace('"code:str{40}:unique"', '"code:str{650}:index"'))
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output


def _revision_passes_ruff(root: Path) -> None:
    import subprocess
    import sys

    from ruff.__main__ import find_ruff_bin

    revision = subprocess.run(
        [sys.executable, "-m", "alembic", "revision", "-m", "add a thing"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert revision.returncode == 0, revision.stderr
    for command in (["check", "--quiet"], ["format", "--check", "--quiet"]):
        ruff = subprocess.run(
            [find_ruff_bin(), *command, "migrations"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert ruff.returncode == 0, ruff.stdout


def test_a_revision_alembic_writes_passes_the_project_s_ruff(sqlite_project: Path) -> None:
    """`alembic revision`, as the README says to write a migration, wrote a file in
    Alembic's layout (single quotes, unused imports): `ruff check` and `ruff format
    --check`, which the project's CI runs, failed until it was fixed by hand."""
    _revision_passes_ruff(sqlite_project)


def test_a_revision_alembic_writes_after_add_db_passes_ruff(project: Path) -> None:
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    _revision_passes_ruff(project)
