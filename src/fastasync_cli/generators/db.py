"""`fastasync add db` (and `new --db`): an async SQLAlchemy database with Alembic.

New modules hold the database code (`app/db/`, `app/api/database_errors.py`,
`migrations/`, the test helpers); the files the user owns get syntax-tree edits:
settings, the lifespan, dependencies, the readiness probe, the test fixtures,
pyproject.toml, .env.example, compose.yaml (`db_deploy`), the CI workflow and
README.md. Every endpoint already there gets its model, its migration and a SQL
repository, and its dependency returns the SQL repository instead of the in-memory
one (`db_endpoints`): its router is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastasync_cli.engine import config_edits, edits
from fastasync_cli.engine.names import singular
from fastasync_cli.engine.plan import plan_update
from fastasync_cli.engine.project import DATABASES, MANIFEST_NAME, Manifest, with_project_option
from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import ConflictError, FastasyncError
from fastasync_cli.generators import db_deploy, db_endpoints, db_schema
from fastasync_cli.generators.component import (
    ComponentPlan,
    PythonEdit,
    import_edit,
)
from fastasync_cli.generators.component_names import (
    DATABASE_OWNED_NAMES,
    DATABASE_STATE_KEY,
    state_keys,
)
from fastasync_cli.generators.env_example import edit_env_example
from fastasync_cli.generators.requirements import edit_pyproject

KINDS = DATABASES
# What the generated project installs; kept in step with this repository's dev extra.
REQUIREMENTS = ["sqlalchemy[asyncio]>=2.1.9,<3", "alembic>=1.20.1,<2"]
DRIVERS = {"sqlite": "aiosqlite>=0.22.1,<1", "postgres": "asyncpg>=0.32.0,<1"}
DEFAULT_URLS = {
    "sqlite": "sqlite+aiosqlite:///./data/app.sqlite3",
    "postgres": "postgresql+asyncpg://app@localhost:5432/app",
}
ALEMBIC_TABLE = {"script_location": "%(here)s/migrations", "prepend_sys_path": ["."]}

SETTINGS_COMMENT = "Database (fastasync add db)."


def setting_names(kind: str) -> list[str]:
    """The database's settings, named in .env.example, compose.yaml and the README."""
    return [field.name for field in _settings_fields(kind)]


def _settings_fields(kind: str) -> list[edits.Field]:
    return [
        edits.Field(
            "database_url",
            "# SQLAlchemy URL with an async driver; its password never appears in logs.\n"
            f'database_url: str = "{DEFAULT_URLS[kind]}"',
        ),
        edits.Field(
            "database_pool_size",
            "# Connections each process keeps open, and how many more it may open at\n"
            "# peaks: the database sees up to workers * (pool size + max overflow).\n"
            "database_pool_size: int = Field(default=10, ge=1)",
        ),
        edits.Field(
            "database_max_overflow", "database_max_overflow: int = Field(default=10, ge=0)"
        ),
        edits.Field(
            "database_pool_timeout",
            "# Seconds a request waits for a free connection (on PostgreSQL, for a\n"
            "# new one to open too) before answering 503.\n"
            "database_pool_timeout: float = Field(default=5.0, gt=0)",
        ),
        edits.Field(
            "database_pool_pre_ping",
            "# Test each connection with a round trip before use (SQLAlchemy's\n"
            "# pool_pre_ping). Off: it costs a round trip per request, and connections\n"
            "# the database closed are replaced without it; only the requests in\n"
            "# flight when the database restarts answer 503.\n"
            "database_pool_pre_ping: bool = False",
        ),
        edits.Field(
            "database_statement_timeout",
            "# Seconds a PostgreSQL statement may run, lock waits included, before the\n"
            "# database cancels it and the request answers 503; 0: no limit. SQLite\n"
            "# bounds only the wait for its write lock (5 s).\n"
            "database_statement_timeout: float = Field(default=30.0, ge=0, le=86_400)",
        ),
        edits.Field(
            "database_echo",
            "# Log every SQL statement: for debugging only.\ndatabase_echo: bool = False",
        ),
    ]


def _env_entries(kind: str) -> list[str]:
    example = {
        "sqlite": "# DATABASE_URL=sqlite+aiosqlite:///./data/app.sqlite3",
        "postgres": "# DATABASE_URL=postgresql+asyncpg://app:PASSWORD@localhost:5432/app",
    }[kind]
    return [
        "# SQLAlchemy URL of the database, with its async driver (aiosqlite or asyncpg).\n"
        "# `alembic upgrade head` migrates this same database.\n" + example,
        "# Connections per server process: DATABASE_POOL_SIZE kept open, up to\n"
        "# DATABASE_MAX_OVERFLOW more at peaks. The database sees up to\n"
        "# workers * (pool size + max overflow) connections: keep that below its limit\n"
        "# (PostgreSQL's max_connections is 100 by default).\n"
        "# DATABASE_POOL_SIZE=10\n"
        "# DATABASE_MAX_OVERFLOW=10",
        "# Seconds a request waits for a free connection (on PostgreSQL, for a new\n"
        "# one to open too) before answering 503.\n"
        "# DATABASE_POOL_TIMEOUT=5.0",
        "# Test each pooled connection with a round trip before every use. Off by\n"
        "# default: it costs a round trip per request, and a connection PostgreSQL\n"
        "# closed (a restart, a failover) is replaced before use without it; only\n"
        "# the requests in flight then answer 503. Turn it on when something between\n"
        "# the app and the database (a proxy, a firewall) drops idle connections\n"
        "# unannounced.\n"
        "# DATABASE_POOL_PRE_PING=false",
        "# Seconds a statement may run on PostgreSQL, waiting for locks included,\n"
        "# before the database cancels it and the request answers 503 with\n"
        "# Retry-After (a connection that stops answering mid-statement is given up\n"
        "# DATABASE_POOL_TIMEOUT seconds later). 0: no limit. Raise it for one\n"
        "# transaction with `SET LOCAL statement_timeout = '5min'`. Behind PgBouncer,\n"
        "# which refuses it as a start-up parameter, set 0 here and set it on the\n"
        "# role instead: ALTER ROLE app SET statement_timeout = '30s'.\n"
        "# DATABASE_STATEMENT_TIMEOUT=30.0",
        "# Log every SQL statement with its parameters (debugging only).\n# DATABASE_ECHO=false",
    ]


TEST_SETTINGS = [
    ("database_url", "database_url"),
    ("database_pool_size", "5"),
    ("database_max_overflow", "5"),
    ("database_pool_timeout", "5.0"),
    ("database_pool_pre_ping", "False"),
    ("database_statement_timeout", "30.0"),
    ("database_echo", "False"),
]
LIFESPAN_LINE = 'state["database"] = await stack.enter_async_context(Database(settings))'
INSTALL_ERRORS_LINE = "install_database_errors(app)"
# The database opens first and closes last: the job store needs it.
JOBS_LINE_START = 'state["jobs"] ='
JOB_STORE_LINE = (
    "job_store = await stack.enter_async_context(\n"
    '    SqlJobStore(state["database"], settings.job_store_max, settings.job_ttl_s)\n'
    ")"
)
# The first migration: the jobs table. Its id is fixed, as its content is.
JOBS_REVISION = db_schema.revision_id("jobs", (), None)


@dataclass(frozen=True)
class DbOptions:
    kind: str
    force: bool = False


class DatabaseExistsError(FastasyncError):
    exit_code = 1


def check_kind(kind: str, *, allow_none: bool) -> str:
    """The database kind, lower-cased; anything else is a bad option (exit 2)."""
    from fastasync_cli.errors import BadOptionError

    choices = KINDS if allow_none else KINDS[:2]
    value = kind.strip().lower()
    if value not in choices:
        raise BadOptionError(
            f"Unknown database {kind!r}: use {', '.join(choices[:-1])} or {choices[-1]}.",
            "sqlite needs nothing installed; postgres uses asyncpg"
            + ("; none keeps the rows in memory." if allow_none else "."),
        )
    return value


def plan_db(options: DbOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the database runtime, migrations and tests, and move every endpoint onto it."""
    existing = manifest.database
    if existing != "none":
        raise DatabaseExistsError(
            f"This project already has a database ({existing}).",
            "Nothing was written. To add tables, add endpoints: fastasync add endpoint NAME.",
        )
    for name, kind_of in manifest.names_in_use().items():
        clash = _clash(kind_of, name)
        if clash is not None:
            raise ConflictError(
                f"The {kind_of} {name!r} would {clash}.",
                f"Nothing was written. Rename that {kind_of} by hand (its files and its "
                "entry in .fastasync.toml) or remove it, then run fastasync add db again.",
            )
    db_endpoints.check_indexed_lengths(manifest)
    kind = options.kind
    builder = ComponentPlan(manifest, options.force)
    context = {"kind": kind}

    edit_pyproject(
        builder,
        [(requirement, None) for requirement in _requirements(kind)],
        more=lambda text: config_edits.ensure_toml_table(
            text, "pyproject.toml", "tool.alembic", ALEMBIC_TABLE
        ),
        more_manual='[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
        'prepend_sys_path = ["."]',
    )
    for target, template in [
        ("app/db/__init__.py", "app/db/__init__.py"),
        ("app/db/base.py", "app/db/base.py"),
        ("app/db/database.py", "app/db/database.py"),
        ("app/db/engine.py", "app/db/engine.py"),
        ("app/db/revision.py", "app/db/revision.py"),
        ("app/api/database_errors.py", "app/api/database_errors.py"),
        ("app/models/job.py", "app/models/job.py"),
        ("app/jobs/sql_store.py", "app/jobs/sql_store.py"),
        ("tests/jobs/test_sql_store.py", "tests/jobs/test_sql_store.py"),
        ("migrations/env.py", "migrations/env.py"),
        ("tests/database.py", "tests/database.py.jinja"),
        ("tests/db/__init__.py", "tests/db/__init__.py"),
        ("tests/db/test_migrations.py", "tests/db/test_migrations.py"),
        ("tests/db/test_session.py", "tests/db/test_session.py.jinja"),
        ("tests/db/test_turns.py", "tests/db/test_turns.py"),
        ("tests/db/test_database.py", "tests/db/test_database.py.jinja"),
        ("tests/db/test_revision.py", "tests/db/test_revision.py"),
    ]:
        builder.create(target, builder.render("db", template, context))
    builder.create("migrations/script.py.mako", render_piece("db", "migrations/script.py.mako", {}))
    if kind == "postgres":
        for target in ("tests/postgres_server.py", "tests/db/test_outages.py"):
            builder.create(target, builder.render("db", target))

    _edit_settings(builder, kind)
    edit_env_example(
        builder,
        SETTINGS_COMMENT,
        _env_entries(kind),
        setting_names(kind),
        "the database settings",
    )
    dependency = builder.snippet("app/api/deps.py", render_piece("db", "deps.py.jinja", {}))
    builder.edit_python(
        "app/api/deps.py",
        [
            import_edit("collections.abc", "AsyncIterator"),
            import_edit("fastapi", "Depends"),
            import_edit("fastapi", "Request"),
            import_edit("sqlalchemy.ext.asyncio", "AsyncSession"),
            import_edit("app.db.database", "Database"),
            PythonEdit(
                lambda m: swap_edits.ensure_definitions_after_imports(m, dependency),
                f"{dependency.strip()}\n# (after the imports, before the other definitions)",
            ),
            *db_endpoints.dependency_swaps(builder, manifest),
        ],
    )
    builder.edit_python(db_endpoints.RESPONSES_MODULE, db_endpoints.response_helpers())
    _edit_main(builder, manifest)
    readiness = builder.snippet(
        "app/api/routes/health.py", render_piece("db", "health.py.jinja", {})
    )
    builder.edit_python(
        "app/api/routes/health.py",
        [
            import_edit("anyio", "fail_after"),
            import_edit("fastapi", "HTTPException"),
            import_edit("fastapi", "status"),
            import_edit("sqlalchemy.exc", "SQLAlchemyError"),
            import_edit("app.api.deps", "DatabaseDep"),
            PythonEdit(lambda m: edits.ensure_definitions(m, readiness), readiness.strip()),
        ],
    )
    _edit_test_fixtures(builder, kind)
    builder.create(
        f"{db_schema.VERSIONS}/{JOBS_REVISION}_create_jobs.py",
        render_piece("db", "migrations/create_jobs.py", {"revision": JOBS_REVISION}),
    )
    db_endpoints.move_endpoints(builder, manifest, JOBS_REVISION)
    db_deploy.plan_deployment(builder, manifest, kind, setting_names(kind))
    builder.plan.add(
        plan_update(builder.root, MANIFEST_NAME, with_project_option(manifest, "db", kind))
    )
    return builder


def _clash(kind_of: str, name: str) -> str | None:
    """How a component made before would clash with what the database brings."""
    if DATABASE_STATE_KEY in state_keys(kind_of, name):
        return f'clash with the lifespan state the database brings, state["{DATABASE_STATE_KEY}"]'
    if kind_of != "endpoint":
        return None
    if name in DATABASE_OWNED_NAMES:
        return f"clash with {DATABASE_OWNED_NAMES[name]}, which the database brings"
    # Made before such names were refused: `updates` worked in memory, but its
    # model `Update` would redefine sqlalchemy's in the modules it goes to.
    item = singular("".join(part.capitalize() for part in name.split("_")))
    if item in db_schema.MODEL_NEIGHBOURS:
        return f"get a model {item!r}, a name the modules beside it already import"
    return None


def _requirements(kind: str) -> list[str]:
    return [*REQUIREMENTS, DRIVERS[kind]]


def _edit_settings(builder: ComponentPlan, kind: str) -> None:
    fields = _settings_fields(kind)

    def add_fields(module: object) -> object:
        updated, _ = edits.ensure_class_fields(
            module,  # type: ignore[arg-type]
            "Settings",
            fields,
            SETTINGS_COMMENT,
        )
        return updated

    manual = "\n".join(f"    {line}" for field in fields for line in field.code.splitlines())
    builder.edit_python(
        "app/core/config.py",
        [
            import_edit("pydantic", "Field"),
            PythonEdit(add_fields, f"# in class Settings:\n{manual}"),
        ],
    )


def _edit_main(builder: ComponentPlan, manifest: Manifest) -> None:
    changes = [
        import_edit("app.api.database_errors", "install_database_errors"),
        import_edit("app.db.database", "Database"),
        import_edit("app.jobs.sql_store", "SqlJobStore"),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_before(
                m,
                "lifespan",
                swap_edits.starts_with(JOBS_LINE_START),
                f"`{JOBS_LINE_START} ...` inside `lifespan`",
                LIFESPAN_LINE,
            ),
            f"{LIFESPAN_LINE}  # in the lifespan, before `{JOBS_LINE_START} ...`",
        ),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_before(
                m,
                "lifespan",
                swap_edits.starts_with(JOBS_LINE_START),
                f"`{JOBS_LINE_START} ...` inside `lifespan`",
                JOB_STORE_LINE,
            ),
            f"{JOB_STORE_LINE}  # in the lifespan, before `{JOBS_LINE_START} ...`",
        ),
        PythonEdit(
            lambda m: edits.ensure_call_keywords(
                m, "lifespan", "JobRunner", [("store", "job_store")]
            ),
            "JobRunner(settings, store=job_store)  # in the lifespan",
        ),
        PythonEdit(
            lambda m: swap_edits.ensure_statement_after(
                m,
                "create_app",
                # `app.include_router(...)`: projects made before include_routers.
                edits.is_call_to("include_routers", "app.include_router"),
                "`include_routers(app)` inside `create_app`",
                INSTALL_ERRORS_LINE,
            ),
            f"{INSTALL_ERRORS_LINE}  # in create_app, after include_routers(app)",
        ),
    ]
    changes += db_endpoints.in_memory_repository_removals(manifest)
    builder.edit_python("app/main.py", changes)


def _edit_test_fixtures(builder: ComponentPlan, kind: str) -> None:
    fixtures = builder.snippet(
        "tests/conftest.py", render_piece("db", "conftest.py.jinja", {"kind": kind})
    )
    keywords = ", ".join(f"{key}={value}" for key, value in TEST_SETTINGS)
    imports = [import_edit("tests", "database")]
    if kind == "postgres":
        imports += [
            import_edit("collections.abc", "Iterator"),
            import_edit("tests.postgres_server", "postgres_url"),
        ]
    else:
        imports += [import_edit("shutil", "copyfile"), import_edit("pathlib", "Path")]
    builder.edit_python(
        "tests/conftest.py",
        [
            *imports,
            PythonEdit(
                lambda m: edits.ensure_parameter(m, "settings", "database_url: str"),
                "database_url: str,  # a parameter of the settings fixture",
            ),
            PythonEdit(
                lambda m: edits.ensure_call_keywords(m, "settings", "Settings", TEST_SETTINGS),
                f"Settings(..., {keywords})  # in the settings fixture",
            ),
            PythonEdit(lambda m: edits.ensure_definitions(m, fixtures), fixtures.strip()),
        ],
    )
