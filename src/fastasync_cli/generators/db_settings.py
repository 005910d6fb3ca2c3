"""The settings `fastasync add db` adds: the `Settings` fields, the lines of
.env.example that document them, and the values the test settings give them (with
the test fixtures that open a fresh database per test). Part of the `fastasync add db`
plan (generators/db.py)."""

from __future__ import annotations

from fastasync_cli.engine import edits
from fastasync_cli.engine.render import render_piece
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, edit_settings_fields, import_edit
from fastasync_cli.generators.env_example import edit_env_example

DEFAULT_URLS = {
    "sqlite": "sqlite+aiosqlite:///./data/app.sqlite3",
    "postgres": "postgresql+asyncpg://app@localhost:5432/app",
}
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


def edit_settings(builder: ComponentPlan, kind: str) -> None:
    """The `Settings` fields in app/core/config.py, and their lines in .env.example."""
    edit_settings_fields(builder, _settings_fields(kind), SETTINGS_COMMENT)
    edit_env_example(
        builder,
        SETTINGS_COMMENT,
        _env_entries(kind),
        setting_names(kind),
        "the database settings",
    )


def edit_test_fixtures(builder: ComponentPlan, kind: str) -> None:
    """tests/conftest.py: the settings fixture takes the test database's URL and
    `TEST_SETTINGS`, and the fixtures that make that database are added."""
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
