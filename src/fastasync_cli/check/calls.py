"""What the rules know about other libraries, as data: which calls block, which build
HTTP clients, what a call returns (so `engine.connect().execute()` can be followed).

Names are the canonical dotted names of the thing called: a function (`time.sleep`), a
class (`requests.Session`, called to build one), or a method of an instance, written
`Type.method` (`requests.Session.get`). `Type.*` stands for every method of a type;
`NOT_BLOCKING` lists the methods of such types that do no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Blocking:
    """A call that blocks the thread that makes it."""

    code: str
    """The rule that reports it on the event loop: FA101, FA103, FA104, FA105 or FA106."""
    what: str
    """What it does, for messages: "HTTP request", "sleep", "database query"."""
    long: bool = False
    """Long enough to starve the threadpool when run as a background task (FA107)."""


def _table(code: str, what: str, names: str, *, long: bool = False) -> dict[str, Blocking]:
    entry = Blocking(code, what, long)
    return dict.fromkeys(names.split(), entry)


_HTTP_VERBS = "get post put patch delete head options request"

BLOCKING: dict[str, Blocking] = {
    # FA101: I/O and waiting that block the thread.
    **_table("FA101", "sleep", "time.sleep", long=True),
    **_table(
        "FA101",
        "HTTP request",
        " ".join(f"requests.{verb}" for verb in _HTTP_VERBS.split())
        + " requests.Session.*"
        + " "
        + " ".join(f"httpx.{verb}" for verb in [*_HTTP_VERBS.split(), "stream"])
        + " httpx.Client.*"
        " urllib.request.urlopen urllib.request.urlretrieve urllib3.request"
        " urllib3.PoolManager.request urllib3.PoolManager.urlopen"
        " http.client.HTTPConnection.request http.client.HTTPConnection.getresponse"
        " http.client.HTTPSConnection.request http.client.HTTPSConnection.getresponse"
        " openai.OpenAI.* anthropic.Anthropic.* openai.ChatCompletion.create"
        " openai.Completion.create",
    ),
    **_table(
        "FA101",
        "socket I/O",
        # Not the methods of socket.socket: async code uses them on non-blocking
        # sockets.
        "socket.create_connection socket.getaddrinfo socket.gethostbyname"
        " socket.gethostbyaddr ftplib.FTP ftplib.FTP.* paramiko.SSHClient.connect"
        " paramiko.SSHClient.exec_command"
        " pika.BlockingConnection pika.BlockingConnection.*",
    ),
    **_table(
        "FA101",
        "email over SMTP",
        "smtplib.SMTP smtplib.SMTP.* smtplib.SMTP_SSL smtplib.SMTP_SSL.*",
    ),
    **_table(
        "FA101",
        "subprocess",
        "subprocess.run subprocess.call subprocess.check_call subprocess.check_output"
        " subprocess.getoutput subprocess.getstatusoutput subprocess.Popen"
        " subprocess.Popen.wait subprocess.Popen.communicate os.system os.popen os.wait"
        " os.waitpid os.spawnl os.spawnlp os.spawnv os.spawnvp os.posix_spawn",
        long=True,
    ),
    **_table(
        "FA101",
        "file I/O",
        "builtins.open io.open codecs.open pathlib.Path.open pathlib.Path.read_text"
        " pathlib.Path.read_bytes pathlib.Path.write_text pathlib.Path.write_bytes"
        " pathlib.Path.mkdir pathlib.Path.unlink pathlib.Path.rmdir pathlib.Path.iterdir"
        " pathlib.Path.glob pathlib.Path.rglob pathlib.Path.touch pathlib.Path.rename"
        " pathlib.Path.replace shutil.copy shutil.copy2 shutil.copyfile shutil.move"
        " pandas.read_csv pandas.read_excel pandas.read_parquet pandas.read_json",
    ),
    **_table(
        "FA101",
        "file I/O",
        "shutil.copytree shutil.rmtree shutil.make_archive shutil.unpack_archive",
        long=True,
    ),
    **_table("FA101", "reads the terminal", "builtins.input"),
    **_table(
        "FA101",
        "synchronous Redis call",
        "redis.Redis.* redis.Pipeline.execute",
    ),
    **_table("FA101", "synchronous AWS call", "boto3.Client.* boto3.Resource.*"),
    # FA103: synchronous database access.
    **_table(
        "FA103",
        "synchronous database call",
        "sqlalchemy.orm.Session.* sqlmodel.Session.* sqlalchemy.Engine.connect"
        " sqlalchemy.Engine.begin sqlalchemy.Engine.raw_connection sqlalchemy.Connection.*"
        " sqlalchemy.orm.Query.*"
        " sqlite3.connect sqlite3.Connection.* sqlite3.Cursor.*"
        " psycopg2.connect psycopg2.connection.* psycopg2.cursor.*"
        " psycopg.connect psycopg.Connection.* psycopg.Cursor.*"
        " pymysql.connect pymysql.Connection.* pymysql.Cursor.*"
        " MySQLdb.connect mysql.connector.connect pymongo.MongoClient.*"
        " django.db.models.Manager.* django.db.models.Model.save"
        " django.db.models.Model.delete django.db.models.Model.refresh_from_db",
    ),
    # FA104: Celery publishing and result look-ups talk to the broker or backend.
    **_table(
        "FA104",
        "Celery call to the broker or result backend",
        "celery.Task.delay celery.Task.apply_async celery.Celery.send_task"
        " celery.result.AsyncResult.* celery.canvas.Signature.delay"
        " celery.canvas.Signature.apply_async",
    ),
    # FA105: starting an event loop inside a running one.
    **_table(
        "FA105",
        "starts an event loop",
        "asyncio.run asyncio.AbstractEventLoop.run_until_complete asyncio.Runner.run"
        " anyio.run trio.run asgiref.sync.async_to_sync anyio.from_thread.run",
    ),
    # FA106: CPU-heavy work.
    **_table(
        "FA106",
        "CPU-heavy hashing",
        "bcrypt.hashpw bcrypt.checkpw bcrypt.kdf bcrypt.gensalt hashlib.pbkdf2_hmac"
        " hashlib.scrypt passlib.context.CryptContext.hash"
        " passlib.context.CryptContext.verify passlib.context.CryptContext.verify_and_update"
        " passlib.context.CryptContext.encrypt argon2.PasswordHasher.hash"
        " argon2.PasswordHasher.verify pwdlib.PasswordHash.hash pwdlib.PasswordHash.verify"
        " pwdlib.PasswordHash.verify_and_update",
        long=True,
    ),
    **_table(
        "FA106",
        "CPU-heavy image processing",
        "PIL.Image.Image.resize PIL.Image.Image.thumbnail PIL.Image.Image.convert"
        " PIL.Image.Image.rotate PIL.Image.Image.filter PIL.Image.Image.save"
        " PIL.Image.Image.transpose PIL.Image.Image.load PIL.Image.Image.tobytes",
        long=True,
    ),
    **_table(
        "FA106",
        "CPU-heavy key generation",
        "cryptography.hazmat.primitives.asymmetric.rsa.generate_private_key",
        long=True,
    ),
}

# `passlib.hash.bcrypt.hash(...)`: every hash class of these modules, these methods.
BLOCKING_PREFIXES: dict[str, tuple[frozenset[str], Blocking]] = {
    "passlib.hash.": (
        frozenset({"hash", "verify", "encrypt"}),
        Blocking("FA106", "CPU-heavy hashing", long=True),
    ),
}

NOT_BLOCKING: frozenset[str] = frozenset(
    {
        # Adding to a unit of work, building queries and statements: no I/O.
        *(
            f"{session}.{method}"
            for session in ("sqlalchemy.orm.Session", "sqlmodel.Session")
            for method in (
                "add",
                "add_all",
                "expunge",
                "expunge_all",
                "expire",
                "expire_all",
                "is_modified",
                "in_transaction",
                "in_nested_transaction",
                "get_bind",
                "begin",
                "begin_nested",
                "query",
                "no_autoflush",
            )
        ),
        *(
            f"sqlalchemy.orm.Query.{method}"
            for method in (
                "filter",
                "filter_by",
                "join",
                "outerjoin",
                "order_by",
                "group_by",
                "limit",
                "offset",
                "options",
                "where",
                "with_entities",
                "distinct",
                "having",
                "select_from",
                "subquery",
                "params",
            )
        ),
        *(
            f"django.db.models.Manager.{method}"
            for method in (
                "filter",
                "exclude",
                "all",
                "order_by",
                "select_related",
                "prefetch_related",
                "annotate",
                "values",
                "values_list",
                "only",
                "defer",
                "using",
                "distinct",
                "none",
                # Django's async API: awaited, no blocking.
                *(
                    f"a{name}"
                    for name in (
                        "get",
                        "create",
                        "get_or_create",
                        "update_or_create",
                        "count",
                        "exists",
                        "first",
                        "last",
                        "update",
                        "delete",
                        "bulk_create",
                        "bulk_update",
                        "aggregate",
                        "iterator",
                        "in_bulk",
                        "contains",
                        "earliest",
                        "latest",
                    )
                ),
            )
        ),
        "redis.Redis.pipeline",
        "sqlite3.Connection.cursor",
        "psycopg2.connection.cursor",
        "psycopg.Connection.cursor",
        "pymysql.Connection.cursor",
        "celery.result.AsyncResult.id",
    }
)

# What calling a thing gives, where it is not an instance of the thing called.
# `T.__call__` is calling an instance of `T` (`SessionLocal()`).
RETURNS: dict[str, str] = {
    "requests.session": "requests.Session",
    "sqlalchemy.create_engine": "sqlalchemy.Engine",
    "sqlalchemy.Engine.connect": "sqlalchemy.Connection",
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

# Names that are first parts of libraries in the tables: an import of one of these is
# never taken for a module of the analysed code that happens to have the same name.
EXTERNAL_TOP_LEVEL: frozenset[str] = frozenset(
    name.split(".", 1)[0] for name in (*BLOCKING, *RETURNS, *ALIASES, *CLIENT_CONSTRUCTORS, *STICKY)
) | {"fastapi", "starlette", "pytest", "pytest_asyncio", "functools", "async_lru"}
