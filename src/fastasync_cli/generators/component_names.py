"""The names a component may not take: the project's own, and other components'."""

from __future__ import annotations

import re

from fastasync_cli.engine.names import Name
from fastasync_cli.engine.project import Manifest
from fastasync_cli.errors import BadNameError

# Names the generated project already uses for its own modules, lifespan state and
# routes; a component with one of them would clash.
PROJECT_OWNED_NAMES = frozenset(
    {
        "api",
        "base",
        "core",
        "deps",
        "errors",
        "health",
        "jobs",
        "main",
        "registry",
        "routes",
        "runner",
        "settings",
        "state",
        "store",
        "tasks",
        "worker",
        # fastasync add celery
        "celery_app",
        "celery_jobs",
        "celery_sample_tasks",
        "config",
        "models",
    }
)


# Names whose files a component of one kind writes the project already has: its own
# tests of the client layer are tests/clients/test_wire.py and
# test_upstream_failures.py, where `add client wire` would put its test (a conflict,
# whose hint said --force, which replaced the project's tests with the client's).
# The tests of the job layer (tests/jobs/sample_tasks.py, and with Celery
# its sample_tasks.py) mount sample tasks at /api/jobs/NAME beside the
# project's own: a task of the same name took their route, and the project's own
# tests failed (`add task echo`: 6 of them, 21 with Celery).
SAMPLE_TASK_NAMES = (
    "echo",
    "echo_idempotent",
    "fail",
    "fail_cpu",
    "fail_io",
    "fail_upstream",
    "flaky",
    "hang_cpu",
    "impatient_echo",
    "loop_id",
    "odd_result",
    "primes",
    "repeat",
)

KIND_OWNED_NAMES = {
    "task": {
        snake: "a sample task the project's tests of jobs run at "
        f"/api/jobs/{snake.replace('_', '-')}"
        for snake in SAMPLE_TASK_NAMES
    },
    "client": {
        "wire": "the project's tests of the client layer, tests/clients/test_wire.py",
        "upstream_failures": "the project's tests of the client layer, "
        "tests/clients/test_upstream_failures.py",
    },
}


# What a project with a database (`add db`, now or later) calls its own: an
# endpoint's table is its name, and its model is app/models/NAME.py.
DATABASE_OWNED_NAMES = {
    "job": "the job records' model, app/models/job.py",
    "alembic_version": "Alembic's own table, alembic_version",
}

# The lifespan state key of the database (`new --db`, `add db`): a client of this
# name replaced the database there. Refused even before `add db`.
DATABASE_STATE_KEY = "database"

# What the lifespan's state holds before any component: `request.state.<key>`.
PROJECT_STATE_KEYS = frozenset({"settings", "jobs", "celery_jobs", DATABASE_STATE_KEY})

# Settings fields the project, `add db` and `add celery` define; every Celery one
# starts with `celery_`, so client names starting with it are refused. A client's
# own (`NAME_timeout`, ...) must not be one of these: `add client database_pool`
# would set `database_pool_timeout`, the database's pool timeout.
PROJECT_SETTINGS = frozenset(
    {
        *("app_name", "log_level", "threadpool_size", "cpu_workers", "redis_url"),
        *("job_store_max", "job_inputs_max_bytes", "job_timeout_s", "job_ttl_s"),
        *("max_body_bytes", "max_header_bytes", "header_timeout_s", "body_timeout_s"),
        "json_in_flight_max_bytes",
        *("allowed_hosts", "cors_origins"),
        *("database_url", "database_pool_size", "database_max_overflow"),
        *("database_pool_timeout", "database_pool_pre_ping", "database_echo"),
        "database_statement_timeout",
    }
)

# What a task module defines beside the task's function.
TASK_MODULE_NAMES = frozenset({"task"})

# The shape of a job id (JOB_ID_PATTERN in app/jobs/models.py): a task of that name
# would be `POST /api/jobs/<name>`, and `GET /api/jobs/<name>` a job's status.
JOB_ID = re.compile("[0-9a-f]{32}")


def state_keys(kind: str, snake: str) -> set[str]:
    """The lifespan state keys a component of this kind and name adds."""
    if kind == "endpoint":
        return {f"{snake}_repository"}
    if kind == "client":
        return {snake}
    return set()


def client_settings(snake: str) -> set[str]:
    from fastasync_cli.generators.client import SETTINGS_SUFFIXES

    return {f"{snake}_{suffix}" for suffix in SETTINGS_SUFFIXES}


def check_component_name(manifest: Manifest, name: Name, kind: str) -> None:
    """Refuse names the project owns, or that another kind of component has."""
    if name.snake in PROJECT_OWNED_NAMES:
        raise BadNameError(
            f"The {kind} name {name.raw!r} clashes with the project's own {name.snake!r}.",
            f"Pick another name, e.g. '{name.kebab}-{kind}'.",
        )
    owned = KIND_OWNED_NAMES.get(kind, {})
    if name.snake in owned:
        raise _clash(name, kind, owned[name.snake])
    taken = manifest.names_in_use()
    if name.snake in taken and taken[name.snake] != kind:
        other = taken[name.snake]
        article = "an" if other[0] in "aeiou" else "a"
        raise BadNameError(
            f"The name {name.raw!r} is already used by {article} {other} of this project.",
            f"Pick another name for the {kind}, e.g. '{name.kebab}-{kind}'.",
        )
    others = {n: k for n, k in taken.items() if n != name.snake}
    _check_state_keys(name, kind, others)
    if kind == "client":
        _check_settings(name, others)
    if kind == "task" and name.snake in TASK_MODULE_NAMES:
        raise BadNameError(
            f"The task name {name.raw!r} clashes with the {name.snake!r} its module defines.",
            f"Pick another name, e.g. '{name.kebab}-job'.",
        )
    if kind == "task" and JOB_ID.fullmatch(name.kebab):
        raise BadNameError(
            f"The task name {name.raw!r} has the shape of a job id (32 hex digits): "
            f"GET /api/jobs/{name.kebab} would look up a job.",
            f"Pick another name, e.g. '{name.kebab}-job'.",
        )
    if kind == "endpoint":
        if name.snake in DATABASE_OWNED_NAMES:
            raise _clash(name, kind, DATABASE_OWNED_NAMES[name.snake])
        _check_item_class(name, others)


def _clash(name: Name, kind: str, what: str) -> BadNameError:
    return BadNameError(
        f"The {kind} name {name.raw!r} would clash with {what}.",
        f"Pick another name, e.g. '{name.kebab}-{kind}'.",
    )


def _check_state_keys(name: Name, kind: str, others: dict[str, str]) -> None:
    mine = state_keys(kind, name.snake)
    if mine & PROJECT_STATE_KEYS:
        raise _clash(name, kind, "the app's own lifespan state")
    for other, other_kind in others.items():
        if mine & state_keys(other_kind, other):
            raise _clash(name, kind, f"the lifespan state of the {other_kind} {other!r}")


def _check_settings(name: Name, others: dict[str, str]) -> None:
    mine = client_settings(name.snake)
    if name.snake.startswith("celery_") or mine & PROJECT_SETTINGS:
        raise _clash(name, "client", "the project's Celery or core settings")
    for other, other_kind in others.items():
        if other_kind == "client" and mine & client_settings(other):
            raise _clash(name, "client", f"the settings of the client {other!r}")


def _check_item_class(name: Name, others: dict[str, str]) -> None:
    import keyword

    from fastasync_cli.engine.names import singular
    from fastasync_cli.generators.db_schema import MODEL_NEIGHBOURS

    item = name.singular_pascal
    # The item class is the model's and the schemas' stem: `None` or `Row`
    # there gives code that does not parse, or that redefines an import.
    if keyword.iskeyword(item) or item in MODEL_NEIGHBOURS:
        what = (
            "a Python keyword"
            if keyword.iskeyword(item)
            else "a name the modules beside its model already import"
        )
        raise BadNameError(
            f"The endpoint name {name.raw!r} names its items {item!r}, {what}.",
            f"Pick a name whose singular differs, e.g. '{name.kebab}-records'.",
        )
    for other, other_kind in others.items():
        if other_kind == "endpoint" and singular(_pascal(other)) == name.singular_pascal:
            raise BadNameError(
                f"The endpoint name {name.raw!r} names its items "
                f"{name.singular_pascal!r}, as the endpoint {other!r} does.",
                f"Pick a name whose singular differs, e.g. '{name.kebab}-records'.",
            )


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))
