"""What the rules know about other libraries, as data: what a call returns (so
`engine.connect().execute()` can be followed), other names of the same thing, which
calls build HTTP clients, schedule background tasks or mark special functions. Which
calls block is in `blocking_calls`, re-exported here.

Names are the canonical dotted names of the thing called: a function (`time.sleep`), a
class (`requests.Session`, called to build one), or a method of an instance, written
`Type.method` (`requests.Session.get`).
"""

from __future__ import annotations

from fastasync_cli.check.blocking_calls import (
    BLOCKING,
    BLOCKING_PREFIXES,
    NOT_BLOCKING,
    Blocking,
)

__all__ = [
    "ALIASES",
    "BACKGROUND_TASKS",
    "BLOCKING",
    "BLOCKING_PREFIXES",
    "CACHED_DECORATORS",
    "CELERY_TASK_DECORATORS",
    "CLIENT_CONSTRUCTORS",
    "CLI_COMMAND_DECORATORS",
    "EXTERNAL_TOP_LEVEL",
    "FIXTURE_DECORATORS",
    "NOT_BLOCKING",
    "RETURNS",
    "STICKY",
    "Blocking",
]

# What calling a thing gives, where it is not an instance of the thing called.
# `T.__call__` is calling an instance of `T` (`SessionLocal()`).
RETURNS: dict[str, str] = {
    "requests.session": "requests.Session",
    "sqlalchemy.create_engine": "sqlalchemy.Engine",
    "sqlalchemy.Engine.connect": "sqlalchemy.Connection",
    # Also a mapper or an instance state for a model or an object, whose methods are
    # not in the tables: only the Inspector's are.
    "sqlalchemy.inspect": "sqlalchemy.Inspector",
    "sqlalchemy.Engine.begin": "sqlalchemy.Connection",
    "sqlalchemy.orm.sessionmaker.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.sessionmaker.begin": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session.query": "sqlalchemy.orm.Query",
    "sqlmodel.Session.query": "sqlalchemy.orm.Query",
    "sqlalchemy.orm.Session.begin": "sqlalchemy.orm.Session",
    "sqlmodel.Session.begin": "sqlmodel.Session",
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.connection",
    "psycopg2.connection.cursor": "psycopg2.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "pymysql.connect": "pymysql.Connection",
    "pymysql.Connection.cursor": "pymysql.Cursor",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.Redis.pipeline": "redis.Pipeline",
    "boto3.client": "boto3.Client",
    "boto3.resource": "boto3.Resource",
    "boto3.Session.client": "boto3.Client",
    "boto3.Session.resource": "boto3.Resource",
    "celery.Celery.AsyncResult": "celery.result.AsyncResult",
    "celery.Celery.send_task": "celery.result.AsyncResult",
    "celery.Task.delay": "celery.result.AsyncResult",
    "celery.Task.apply_async": "celery.result.AsyncResult",
    "celery.Task.s": "celery.canvas.Signature",
    "celery.Task.si": "celery.canvas.Signature",
    "celery.Task.signature": "celery.canvas.Signature",
    "celery.group": "celery.canvas.Signature",
    "celery.chain": "celery.canvas.Signature",
    "celery.chord": "celery.canvas.Signature",
    "celery.signature": "celery.canvas.Signature",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "PIL.Image.open": "PIL.Image.Image",
    "PIL.Image.new": "PIL.Image.Image",
    "PIL.Image.Image.copy": "PIL.Image.Image",
    "PIL.Image.Image.crop": "PIL.Image.Image",
    "PIL.Image.Image.resize": "PIL.Image.Image",
    "PIL.Image.Image.convert": "PIL.Image.Image",
    "PIL.Image.Image.rotate": "PIL.Image.Image",
    "django.db.models.Model.objects": "django.db.models.Manager",
}

# Types whose attributes and method results are of the same family
# (`mongo.db.users.find()`, `s3.Bucket("b").objects.all()`, `Path(x).parent.read_text()`,
# `Model.objects.filter().first()`).
STICKY: frozenset[str] = frozenset(
    {
        "pymongo.MongoClient",
        "boto3.Resource",
        "openai.OpenAI",
        "anthropic.Anthropic",
        "pathlib.Path",
        "django.db.models.Manager",
        "sqlalchemy.orm.Query",
    }
)

# Other names for the same thing, mapped to the names used above.
ALIASES: dict[str, str] = {
    "requests.sessions.Session": "requests.Session",
    "requests.api": "requests",
    "httpx._client.Client": "httpx.Client",
    "sqlalchemy.engine.create_engine": "sqlalchemy.create_engine",
    "sqlalchemy.engine.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.Connection",
    "sqlalchemy.engine.Inspector": "sqlalchemy.Inspector",
    "sqlalchemy.engine.reflection.Inspector": "sqlalchemy.Inspector",
    "sqlalchemy.inspection.inspect": "sqlalchemy.inspect",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.Connection",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.query.Query": "sqlalchemy.orm.Query",
    "sqlmodel.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.orm.session.Session": "sqlmodel.Session",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "redis.client.Pipeline": "redis.Pipeline",
    "boto3.session.Session": "boto3.Session",
    "celery.app.Celery": "celery.Celery",
    "celery.app.base.Celery": "celery.Celery",
    "celery.app.task.Task": "celery.Task",
    "celery.canvas.group": "celery.group",
    "celery.canvas.chain": "celery.chain",
    "celery.canvas.chord": "celery.chord",
    "celery.canvas.signature": "celery.signature",
    "celery.AsyncResult": "celery.result.AsyncResult",
    "asyncio.events.get_event_loop": "asyncio.get_event_loop",
    "asyncio.BaseEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.runners.run": "asyncio.run",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "passlib.context.CryptContext": "passlib.context.CryptContext",
    "argon2.PasswordHasher": "argon2.PasswordHasher",
    "pwdlib.PasswordHash": "pwdlib.PasswordHash",
    "django.db.models.base.Model": "django.db.models.Model",
    "django.db.models.manager.Manager": "django.db.models.Manager",
    "django.db.models.query.QuerySet": "django.db.models.Manager",
    "django.db.models.QuerySet": "django.db.models.Manager",
    "fastapi.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "starlette.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "starlette.background.BackgroundTask": "fastapi.BackgroundTask",
    "fastapi.background.BackgroundTask": "fastapi.BackgroundTask",
    "openai.Client": "openai.OpenAI",
    "openai.AsyncClient": "openai.AsyncOpenAI",
    "anthropic.Client": "anthropic.Anthropic",
    "io.open_code": "io.open",
}

# FA102: HTTP clients, each meant to be built once and shared.
CLIENT_CONSTRUCTORS: frozenset[str] = frozenset(
    {
        "httpx.AsyncClient",
        "httpx.Client",
        "aiohttp.ClientSession",
        "requests.Session",
        "requests.session",
        "httpx_aiohttp.HttpxAiohttpClient",
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
    }
)

# FA107: scheduling a background task; the function is the first argument.
BACKGROUND_TASKS: frozenset[str] = frozenset(
    {"fastapi.BackgroundTasks.add_task", "fastapi.BackgroundTask"}
)

# Decorators that make a function a Celery task (`task.delay()` then publishes it).
CELERY_TASK_DECORATORS: frozenset[str] = frozenset(
    {"celery.Celery.task", "celery.shared_task", "celery.task"}
)

# Decorators whose function runs once and is then served from a cache.
CACHED_DECORATORS: frozenset[str] = frozenset(
    {
        "functools.cache",
        "functools.lru_cache",
        "functools.cached_property",
        "async_lru.alru_cache",
        "cachetools.cached",
    }
)

# Decorators of test fixtures: these run once per test, never per request.
FIXTURE_DECORATORS: frozenset[str] = frozenset(
    {"pytest.fixture", "pytest_asyncio.fixture", "pytest.yield_fixture"}
)

# Decorators of command-line commands: a command runs once per run of the program,
# never per request (`@cli.command()` over an `async def` that a wrapper runs with
# `asyncio.run`).
CLI_COMMAND_DECORATORS: frozenset[str] = frozenset(
    {
        "typer.Typer.command",
        "typer.Typer.callback",
        "click.command",
        "click.group",
        "click.Group.command",
        "click.Group.group",
        "asyncclick.command",
        "asyncclick.group",
        "asyncclick.Group.command",
        "asyncclick.Group.group",
    }
)

# Names that are first parts of libraries in the tables: an import of one of these is
# never taken for a module of the analysed code that happens to have the same name.
EXTERNAL_TOP_LEVEL: frozenset[str] = frozenset(
    name.split(".", 1)[0]
    for name in (
        *BLOCKING,
        *RETURNS,
        *ALIASES,
        *CLIENT_CONSTRUCTORS,
        *STICKY,
        *CLI_COMMAND_DECORATORS,
    )
) | {"fastapi", "starlette", "pytest", "pytest_asyncio", "functools", "async_lru"}
