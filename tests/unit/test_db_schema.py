"""Models and migrations written from fields: deterministic, chained, names within 63 bytes."""

from __future__ import annotations

import ast
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
import tomlkit
from packaging.requirements import Requirement

from fastasync_cli.engine.apply import apply
from fastasync_cli.engine.fields import parse_fields
from fastasync_cli.engine.names import component_name
from fastasync_cli.engine.project import find_project
from fastasync_cli.errors import FastasyncError
from fastasync_cli.generators import db_schema
from fastasync_cli.generators.db import DbOptions, plan_db
from fastasync_cli.generators.endpoint import EndpointOptions, plan_endpoint


def endpoint(root: Path, name: str, *specs: str) -> None:
    options = EndpointOptions(component_name(name, "endpoint"), tuple(parse_fields(list(specs))))
    apply(plan_endpoint(options, find_project(root)).plan)


def migrations(root: Path) -> dict[str, str]:
    folder = root / "migrations/versions"
    return {p.name: p.read_text() for p in sorted(folder.glob("*.py"))}


def test_sql_identifier_keeps_short_names_and_hashes_long_ones() -> None:
    assert db_schema.sql_identifier("uq_products_email") == "uq_products_email"
    long = "uq_" + "a" * 30 + "_" + "b" * 50
    short = db_schema.sql_identifier(long)
    assert len(short.encode()) == 63
    assert short.startswith("uq_" + "a" * 30)
    assert short == db_schema.sql_identifier(long)
    assert short != db_schema.sql_identifier(long + "c")


def test_the_same_endpoints_give_the_same_migration_bytes(tmp_path: Path, project: Path) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(project, other)
    for root in (project, other):
        apply(plan_db(DbOptions("sqlite"), find_project(root)).plan)
        endpoint(root, "products", "name:str", "sku:str:unique")
        endpoint(root, "orders", "code:str{20}:index")
    assert migrations(project) == migrations(other)


def test_migrations_form_one_chain_with_one_head(project: Path) -> None:
    endpoint(project, "products", "name:str")
    endpoint(project, "orders", "code:str")
    apply(plan_db(DbOptions("postgres"), find_project(project)).plan)
    endpoint(project, "tags", "label:str:unique")
    revisions = db_schema.read_revisions(project)
    assert len(revisions) == 4
    by_table = {r.path.name.split("_create_")[1][:-3]: r for r in revisions}
    assert by_table["jobs"].down_revision == ()
    assert by_table["products"].down_revision == (by_table["jobs"].revision,)
    assert by_table["orders"].down_revision == (by_table["products"].revision,)
    assert by_table["tags"].down_revision == (by_table["orders"].revision,)
    assert db_schema.current_head(project) == by_table["tags"].revision


def test_two_heads_stop_a_new_migration(sqlite_project: Path) -> None:
    folder = sqlite_project / "migrations/versions"
    jobs = db_schema.current_head(sqlite_project)
    for revision in ("aaa", "bbb"):
        (folder / f"{revision}_x.py").write_text(
            f'revision = "{revision}"\ndown_revision = "{jobs}"\n'
        )
    with pytest.raises(FastasyncError) as caught:
        endpoint(sqlite_project, "products", "name:str")
    assert caught.value.message == (
        "The migrations in migrations/versions have 2 heads (aaa, bbb), so a new one has "
        "nothing single to follow."
    )
    assert caught.value.hint == (
        "Merge them first: alembic merge heads -m merge, then run the command again."
    )


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "zz_int.py",
            lambda p: p.write_text('revision = "x1"\ndown_revision = 5\n'),
            "zz_int.py in migrations/versions has a down_revision 5 that is not a revision "
            "id, a list of them, or None.",
        ),
        (
            "zz_link.py",
            lambda p: p.symlink_to(p.parent / "gone.py"),
            "Cannot read zz_link.py in migrations/versions: No such file or directory.",
        ),
    ],
)
def test_odd_migrations_are_named(
    sqlite_project: Path, name: str, make: Callable[[Path], None], message: str
) -> None:
    """Each was an unexpected TypeError or FileNotFoundError."""
    make(sqlite_project / "migrations/versions" / name)
    with pytest.raises(FastasyncError) as caught:
        endpoint(sqlite_project, "products", "name:str")
    assert caught.value.message == message


def test_what_is_not_a_migration_is_passed_over(sqlite_project: Path) -> None:
    """A folder named like a module, a value that is no literal (`{[]}` raised
    TypeError): neither is a revision."""
    folder = sqlite_project / "migrations/versions"
    head = db_schema.current_head(sqlite_project)
    (folder / "notes.py").mkdir()
    (folder / "zz_odd.py").write_text(f'revision = {{[]}}\ndown_revision = "{head}"\n')
    assert db_schema.current_head(sqlite_project) == head


@pytest.mark.parametrize(
    "prefix",
    [b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n# \xe9t\xe9\n"],
    ids=["utf-8 BOM", "latin-1 declared"],
)
def test_migrations_python_reads_are_read(sqlite_project: Path, prefix: bytes) -> None:
    """A migration saved with a BOM, or in the encoding it declares, is one Alembic
    runs: it was refused as not parsing ("invalid non-printable character U+FEFF")."""
    folder = sqlite_project / "migrations/versions"
    head = db_schema.current_head(sqlite_project)
    (folder / "abc_mine.py").write_bytes(
        prefix + f'revision = "abc"\ndown_revision = "{head}"\n'.encode()
    )
    assert db_schema.current_head(sqlite_project) == "abc"


def test_long_names_stay_within_63_bytes(sqlite_project: Path) -> None:
    field = "f" * 50
    endpoint(sqlite_project, "n" * 30, f"{field}:str:unique:index")
    [migration] = [text for name, text in migrations(sqlite_project).items() if "_jobs" not in name]
    names = [part.split('"')[1] for part in migration.split("op.f(")[1:]]
    assert len(names) >= 4
    assert all(len(name.encode()) <= 63 for name in names)


def test_column_types_follow_the_fields() -> None:
    fields = parse_fields(
        ["a:str{40}", "b:int?", "c:float", "d:bool=true", "e:datetime", "f:uuid:unique"]
    )
    lines = [db_schema.Column(f).migration_line for f in fields]
    assert lines == [
        'sa.Column("a", sa.String(length=40), nullable=False)',
        'sa.Column("b", sa.BigInteger(), nullable=True)',
        'sa.Column("c", sa.Double(), nullable=False)',
        'sa.Column("d", sa.Boolean(), nullable=False)',
        'sa.Column("e", sa.DateTime(timezone=True), nullable=False)',
        'sa.Column("f", sa.Uuid(), nullable=False)',
    ]
    assert db_schema.Column(fields[1]).model_line == (
        "b: Mapped[int | None] = mapped_column(BigInteger)"
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_installed_versions_satisfy_a_database_project_s_ranges(project: Path, kind: str) -> None:
    """This repo's dev environment runs database projects' tests: keep it in their ranges."""
    apply(plan_db(DbOptions(kind), find_project(project)).plan)
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text()).unwrap()
    requirements = pyproject["project"]["dependencies"]
    driver = {"sqlite": "aiosqlite", "postgres": "asyncpg"}[kind]
    assert any(line.startswith(driver) for line in requirements)
    for line in requirements + pyproject["project"]["optional-dependencies"]["dev"]:
        requirement = Requirement(line)
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{requirement.name} {installed} is outside {line}"
        )
    assert pyproject["tool"]["alembic"]["script_location"] == "%(here)s/migrations"


def _read_by_class_body(node: ast.AST) -> set[str]:
    """Names the class body itself reads, not its methods' locals."""
    names: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            names.add(child.id)
        names |= _read_by_class_body(child)
    return names


def test_no_field_may_take_a_name_a_model_or_schema_class_body_reads(
    sqlite_project: Path,
) -> None:
    """Class bodies look names up in the class first: a field `mapped_column` hid
    SQLAlchemy's from every column after it, and the model failed on import."""
    specs = ["a:str{40}:unique", "b:int:index", "c:float?", "d:bool=true", "e:datetime", "f:uuid?"]
    endpoint(sqlite_project, "widgets", *specs)
    read: set[str] = set()
    for rel in ["app/models/widgets.py", "app/schemas/widgets.py"]:
        tree = ast.parse((sqlite_project / rel).read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                read.update(_read_by_class_body(node))
    assert {"mapped_column", "left_out"} <= read
    accepted = set()
    for name in sorted(read):
        try:
            parse_fields([f"{name}:str"])
        except FastasyncError:
            continue
        accepted.add(name)
    assert accepted == set()


def test_model_neighbours_hold_every_name_bound_beside_a_model(sqlite_project: Path) -> None:
    """An endpoint whose item class is one of these names is refused (component);
    a template importing a new class must add it to MODEL_NEIGHBOURS."""
    specs = ["a:str{40}:unique", "b:int:index", "c:float?", "d:bool", "e:datetime", "f:uuid"]
    endpoint(sqlite_project, "widgets", *specs)
    bound: set[str] = set()
    for rel in [
        "app/models/widgets.py",
        "app/repositories/widgets.py",
        "tests/db/test_widgets_rows.py",
        "app/models/__init__.py",
    ]:
        tree = ast.parse((sqlite_project / rel).read_text())
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    classes = {n for n in bound if n[:1].isupper() and not n.startswith("Widget")}
    assert "Row" in classes
    assert classes <= db_schema.MODEL_NEIGHBOURS
