"""What the rules know about calls that block the thread making them, as data.

Names are the canonical dotted names of the thing called: a function (`time.sleep`), a
class (`requests.Session`, called to build one), or a method of an instance, written
`Type.method` (`requests.Session.get`). `Type.*` stands for every method of a type;
`NOT_BLOCKING` lists the methods of such types that do no I/O. The other tables (what
calls return, aliases, clients, decorators) are in `calls`.
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
        # `inspect(engine)` reflects the live database: every question is a query.
        " sqlalchemy.Inspector.get_schema_names sqlalchemy.Inspector.get_table_names"
        " sqlalchemy.Inspector.get_view_names sqlalchemy.Inspector.get_columns"
        " sqlalchemy.Inspector.get_pk_constraint sqlalchemy.Inspector.get_foreign_keys"
        " sqlalchemy.Inspector.get_indexes sqlalchemy.Inspector.get_unique_constraints"
        " sqlalchemy.Inspector.has_table sqlalchemy.Inspector.has_schema"
        " sqlalchemy.Inspector.reflect_table"
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
        "bcrypt.hashpw bcrypt.checkpw bcrypt.kdf hashlib.pbkdf2_hmac"
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
