"""The database outside the code: compose.yaml, the Dockerfile, CI, .gitignore, README.

Part of the `fastasync add db` plan (generators/db.py).
"""

from __future__ import annotations

from collections.abc import Callable

from fastasync_cli.engine import config_edits
from fastasync_cli.engine.edits import AnchorMissing
from fastasync_cli.engine.project import Manifest
from fastasync_cli.engine.render import render_piece
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.env_example import edit_compose

README_MARKER = "<!-- fastasync: db -->"
# The README's word on where local jobs are kept, as `new` writes it, and what it
# says once the job store is the `jobs` table. A paragraph the user rewrote is left
# as they wrote it.
README_JOBS_IN_MEMORY = """\
Local jobs (`io` and `cpu`) run inside this process and are kept in memory: **a
restart loses them**, and with several server processes each one only knows its
own jobs. That is fine for work a client can simply start again. When it is not,
use Celery, a task queue with a broker and a result backend. (Job records go
through the small `JobStore` interface in `app/jobs/store.py`: `add`, `save`,
`get`; `fastasync add db` replaces the in-memory store with one on a database
table.)
"""
# The same paragraph as projects made by earlier fastasync versions have it.
README_JOBS_IN_MEMORY_EARLIER = README_JOBS_IN_MEMORY.replace(
    "`get`; `fastasync add db` replaces the in-memory store with one on a database\ntable.)",
    "`get`; a store on a database table can replace the in-memory one.)",
)
# The README's first run migrates the database before starting the app.
README_RUN_DEV = "fastapi dev                    # reloads on change;"
README_RUN_MIGRATE = "alembic upgrade head           # creates or migrates the database\n"
README_JOBS_IN_TABLE = """\
Local jobs (`io` and `cpu`) run inside this process, and their records are kept
in the database's `jobs` table (see "The database" below): any server process
answers `GET /api/jobs/{id}`, and a job whose process stopped shows as `failed`.
The job itself does not survive a restart: a client must start it again. When
that is not good enough, use Celery, a task queue with a broker and a result
backend.
"""
CI_WORKFLOW = ".github/workflows/ci.yml"

_MIGRATE_SERVICE = """\
  # Runs the migrations once, then exits; the app starts only after it succeeded.
  migrate:
    build: .
    command:
      - alembic
      - upgrade
      - head
    env_file:
      - path: .env
        required: false
    environment:
      DATABASE_URL: {url}
{extra}    restart: "no"
"""

_POSTGRES_URL = (
    "postgresql+asyncpg://app:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@db:5432/app"
)
_SQLITE_URL = "sqlite+aiosqlite:////home/app/data/app.sqlite3"

COMPOSE_POSTGRES = (
    f"""\
services:
  app:
    environment:
      DATABASE_URL: {_POSTGRES_URL}
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully

  # PostgreSQL; its data lives in the db-data volume.
  db:
    image: postgres:17-alpine
    environment:
      POSTGRES_USER: app
      POSTGRES_DB: app
      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}}
    volumes:
      - db-data:/var/lib/postgresql/data
    healthcheck:
      test:
        - CMD-SHELL
        - pg_isready -U app -d app
      interval: 5s
      timeout: 3s
      start_period: 10s
      retries: 10
    restart: unless-stopped

"""
    + _MIGRATE_SERVICE.format(
        url=_POSTGRES_URL,
        extra="    depends_on:\n      db:\n        condition: service_healthy\n",
    )
    + """
volumes:
  db-data:
"""
)

COMPOSE_SQLITE = (
    f"""\
services:
  app:
    environment:
      DATABASE_URL: {_SQLITE_URL}
    volumes:
      - app-data:/home/app/data
    depends_on:
      migrate:
        condition: service_completed_successfully

"""
    + _MIGRATE_SERVICE.format(
        url=_SQLITE_URL, extra="    volumes:\n      - app-data:/home/app/data\n"
    )
    + """
volumes:
  app-data:
"""
)

CI_POSTGRES = """\
jobs:
  test:
    # The tests run against this PostgreSQL (TEST_DATABASE_URL): each test gets a
    # database of its own, copied from one migrated to head.
    services:
      postgres:
        image: postgres:17-alpine
        env:
          POSTGRES_PASSWORD: postgres
        ports:
          - 5432:5432
        options: >-
          --health-cmd pg_isready --health-interval 5s --health-timeout 3s
          --health-retries 10
    env:
      TEST_DATABASE_URL: postgresql+asyncpg://postgres:postgres@localhost:5432/postgres
"""

DOCKERFILE_ANCHOR = "USER app\n"
DOCKERFILE_LINES = {
    "postgres": (
        "# Alembic's configuration and the migrations: the migrate service runs them,\n"
        "# and the app checks at start-up that the database is at their head.\n"
        "COPY --chown=app pyproject.toml ./\n"
        "COPY --chown=app migrations ./migrations\n"
    ),
    "sqlite": (
        "# Alembic's configuration and the migrations: the migrate service runs them,\n"
        "# and the app checks at start-up that the database is at their head. And the\n"
        "# folder of the SQLite database (compose mounts a volume on it).\n"
        "COPY --chown=app pyproject.toml ./\n"
        "COPY --chown=app migrations ./migrations\n"
        "RUN mkdir -p data\n"
    ),
}
GITIGNORE = "\n# The local SQLite database (DATABASE_URL)\n/data/\n"


def plan_deployment(
    builder: ComponentPlan, manifest: Manifest, kind: str, names: list[str]
) -> None:
    """Edit compose.yaml, the Dockerfile, the CI workflow, .gitignore and README.md;
    `names` are the database settings, named as the app reads them."""
    root = builder.root
    docker = bool(manifest.project.get("docker"))
    compose = COMPOSE_POSTGRES if kind == "postgres" else COMPOSE_SQLITE
    # A file `new` made that the user deleted stays deleted (a `skip` line says so).
    if (root / "compose.yaml").is_file() or docker:
        edit_compose(builder, compose, names, "the database services")
    if (root / "Dockerfile").is_file() or docker:
        lines = DOCKERFILE_LINES[kind]
        builder.edit_optional(
            "Dockerfile",
            lambda text: _dockerfile(text, lines),
            "the migrations' lines",
            f"{lines.rstrip()}  # in the runtime stage, after `USER app`",
        )
    github = (root / CI_WORKFLOW).is_file() or manifest.project.get("ci") == "github"
    if kind == "postgres" and github:
        builder.edit_optional(
            CI_WORKFLOW,
            lambda text: config_edits.ensure_yaml_entries(text, CI_WORKFLOW, CI_POSTGRES),
            "the PostgreSQL service of the test job",
            CI_POSTGRES,
        )
    env = builder.env_names
    if kind == "sqlite":
        lines = env.rename(GITIGNORE, names)
        builder.edit_optional(
            ".gitignore", lambda text: _gitignore(text, lines), "the database folder's line"
        )
    builder.edit_optional(
        "README.md",
        # The section names THREADPOOL_SIZE too, a setting of every project.
        lambda text: _readme_section(
            text, kind, lambda doc: env.rename(doc, [*names, "threadpool_size"])
        ),
        "the database section",
    )


def _dockerfile(text: str, lines: str) -> str:
    if lines in text:
        return text
    if DOCKERFILE_ANCHOR not in text:
        raise AnchorMissing("a `USER app` line")
    head, tail = text.rsplit(DOCKERFILE_ANCHOR, 1)
    return f"{head}{DOCKERFILE_ANCHOR}{lines}{tail}"


def _gitignore(text: str, lines: str) -> str:
    if "/data/" in text.splitlines():
        return text
    return text.rstrip("\n") + "\n" + lines


def _readme_section(text: str, kind: str, named: Callable[[str], str]) -> str:
    """README.md with the database section, before `## Next steps` when it has one;
    `named` names its variables as the settings read them."""
    for paragraph in (README_JOBS_IN_MEMORY, README_JOBS_IN_MEMORY_EARLIER):
        text = text.replace(paragraph, README_JOBS_IN_TABLE)
    if README_RUN_MIGRATE not in text:
        text = text.replace(README_RUN_DEV, README_RUN_MIGRATE + README_RUN_DEV, 1)
    if README_MARKER in text:
        return text
    body = named(render_piece("db", "README.md.jinja", {"kind": kind}).strip())
    section = f"{README_MARKER}\n{body}\n"
    anchor = "\n## Next steps\n"
    if anchor in text:
        head, tail = text.split(anchor, 1)
        return f"{head.rstrip()}\n\n{section}{anchor}{tail}"
    prefix = f"{text.rstrip()}\n\n" if text.strip() else ""
    return f"{prefix}{section}"
