"""Patterns met running `fastasync check` on public FastAPI code bases, each a false
positive or a miss that was fixed (docs/check.md, "On real code bases")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()


def check(*args: str):
    return runner.invoke(app, ["check", "--format", "json", *args])


def found(result) -> list[tuple[int, str, str]]:
    return [(f["line"], f["code"], " -> ".join(f["chain"])) for f in json.loads(result.stdout)]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


CLI = """\
import asyncio

import aiohttp
import typer
from fastapi import FastAPI

app = FastAPI()


def obtain_token(url: str) -> None:
    async def fetch():
        async with aiohttp.ClientSession() as session:
            return await session.get(url)

    typer.echo(asyncio.run(fetch()))


async def publish(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        await session.post(url)


def publish_command(url: str) -> None:
    asyncio.run(publish(url))


@app.get("/sync")
def sync_endpoint(url: str) -> None:
    asyncio.run(publish(url))
"""


def test_a_coroutine_a_cli_command_runs_with_asyncio_run_is_not_per_request(
    folder: Path,
) -> None:
    """A command's `asyncio.run(fetch())` starts a program of its own: its client was
    reported as made per request (2 of opal's 14 FA102). A plain `def` endpoint doing
    the same makes one per request, and still is."""
    (folder / "cli.py").write_text(CLI)
    result = check()
    assert found(result) == [
        (19, "FA102", "publish -> aiohttp.ClientSession"),
    ]
    (folder / "cli.py").write_text(CLI.split("@app.get")[0])
    assert check().exit_code == 0


def test_a_client_entered_and_kept_on_self_is_shared(folder: Path) -> None:
    """`self._session = await ClientSession().__aenter__()` keeps the client as
    `self._session = ClientSession()` does (opal's HttpFetchProvider)."""
    (folder / "fetch.py").write_text(
        "from aiohttp import ClientSession\n\n\n"
        "class Provider:\n"
        "    async def __aenter__(self):\n"
        "        self._session = await ClientSession().__aenter__()\n"
        "        return self\n\n"
        "    async def local(self):\n"
        "        session = await ClientSession().__aenter__()\n"
        "        return session\n"
    )
    result = check()
    assert found(result) == [(10, "FA102", "Provider.local -> aiohttp.ClientSession")]


def test_a_salt_is_no_cpu_heavy_hashing(folder: Path) -> None:
    """`bcrypt.gensalt()` reads 16 random bytes: it was reported as CPU-heavy hashing,
    and as the chain of a finding whose real cost was the hash beside it
    (fastapi-realworld-example-app's `change_password`)."""
    (folder / "security.py").write_text(
        "import bcrypt\n\n\n"
        "def change_password(password: bytes) -> bytes:\n"
        "    salt = bcrypt.gensalt()\n"
        "    return bcrypt.hashpw(password, salt)\n\n\n"
        "async def create_user(password: bytes) -> bytes:\n"
        "    return change_password(password)\n\n\n"
        "async def salt_only() -> bytes:\n"
        "    return bcrypt.gensalt()\n"
    )
    result = check()
    assert found(result) == [
        (10, "FA106", "create_user -> security.change_password -> bcrypt.hashpw"),
    ]


@pytest.mark.parametrize(
    ("cwd", "args"),
    [(".", ["app"]), (".", ["app/main.py", "app/services/http.py"]), ("app", ["."])],
    ids=["package", "files", "inside"],
)
def test_a_package_named_keeps_its_own_name(folder: Path, cwd: str, args: list[str]) -> None:
    """`fastasync check app`, `app` a package whose modules import `app.services...`:
    no module was named `app.*`, so every chain across modules was missed (all of
    polar's FA103 when checking `server/polar`)."""
    (folder / "app" / "services").mkdir(parents=True)
    (folder / "app" / "__init__.py").write_text("")
    (folder / "app" / "services" / "__init__.py").write_text("")
    (folder / "app" / "services" / "http.py").write_text(
        "import time\n\n\ndef fetch():\n    time.sleep(1)\n"
    )
    (folder / "app" / "main.py").write_text(
        "from app.services.http import fetch\n\n\nasync def handler():\n    fetch()\n"
    )
    os.chdir(folder / cwd)
    result = check(*args)
    assert found(result) == [(5, "FA101", "handler -> app.services.http.fetch -> time.sleep")]


def test_a_cli_command_runs_once_not_per_request(folder: Path) -> None:
    """`@cli.command()` over an `async def` that a wrapper runs with `asyncio.run`:
    the scripts of a code base were reported as if they served requests (17 of
    polar's 25 findings, in scripts/)."""
    (folder / "scripts.py").write_text(
        "import asyncio\nimport functools\nfrom pathlib import Path\n\n"
        "import httpx\nimport typer\n\ncli = typer.Typer()\n\n\n"
        "def typer_async(f):\n"
        "    @functools.wraps(f)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        return asyncio.run(f(*args, **kwargs))\n\n"
        "    return wrapper\n\n\n"
        "async def download(url: str) -> bytes:\n"
        "    async with httpx.AsyncClient() as client:\n"
        "        return (await client.get(url)).content\n\n\n"
        "@cli.command()\n@typer_async\n"
        "async def run(url: str, out: str) -> None:\n"
        "    Path(out).write_bytes(await download(url))\n"
    )
    assert check().exit_code == 0


LAZY = """\
import httpx

_logger = None
_settings = None


def load_config():
    with open("logging.json") as file:
        return file.read()


def get_logger():
    global _logger
    if _logger is None:
        _logger = load_config()
    return _logger


def get_settings():
    global _settings
    _settings = load_config()
    return _settings


def read_local():
    config = None
    if config is None:
        config = load_config()
    return config


class Service:
    def __init__(self):
        self._client = None

    def client(self):
        if not self._client:
            self._client = httpx.Client()
            self._client.get("https://example.com/warm-up")
        return self._client


async def handler(service: Service):
    get_logger()
    get_settings()
    read_local()
    service.client()
"""


def test_a_lazy_initialisation_runs_once(folder: Path) -> None:
    """`if _logger is None: _logger = configure()` reads its file on the first call
    only: it was FA101 on every endpoint that logs (3 of mealie's 24 FA101). A name
    that does not outlive the call, or no test, is still followed."""
    (folder / "app.py").write_text(LAZY)
    assert found(check()) == [
        (45, "FA101", "handler -> app.get_settings -> app.load_config -> builtins.open"),
        (46, "FA101", "handler -> app.read_local -> app.load_config -> builtins.open"),
    ]


def test_reflecting_the_database_is_a_query(folder: Path) -> None:
    """`inspect(engine).get_schema_names()` in an `async def` middleware queries the
    database on every request (Netflix/dispatch's db_session_middleware); the
    inspector of a model or an object asks nothing of the database."""
    (folder / "main.py").write_text(
        "from sqlalchemy import create_engine, inspect\n\n"
        'engine = create_engine("postgresql://db/app")\n\n\n'
        "async def db_session_middleware(request, call_next):\n"
        "    if inspect(engine).has_table('users'):\n"
        "        pass\n"
        "    names = inspect(engine).get_schema_names()\n"
        "    return await call_next(request)\n\n\n"
        "async def describe(obj):\n"
        "    return inspect(type(obj)).get_property('name')\n"
    )
    assert found(check()) == [
        (7, "FA103", "db_session_middleware -> sqlalchemy.Inspector.has_table"),
        (9, "FA103", "db_session_middleware -> sqlalchemy.Inspector.get_schema_names"),
    ]


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


REPOSITORY = """\
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class RepositoryGeneric(Generic[T]):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_one(self, key: str) -> T:
        return self.session.get(T, key)


class RepositoryUsers(RepositoryGeneric[str]):
    pass
"""


@pytest.mark.parametrize(
    ("controller", "chain"),
    [
        (
            # A repository built by a property of the controller's base class.
            "from app.base import BaseController\n\n\n"
            "class UserController(BaseController):\n"
            "    async def get(self, key: str):\n"
            "        return self.repos.get_one(key)\n",
            "UserController.get -> app.repos.RepositoryGeneric.get_one -> "
            "sqlalchemy.orm.Session.get",
        ),
        (
            # A generic repository's method, through a subclass of its parametrisation.
            "from sqlalchemy.orm import Session\n\n"
            "from app.base import RepositoryUsers\n\n\n"
            "async def get(session: Session, key: str):\n"
            "    return RepositoryUsers(session).get_one(key)\n",
            "get -> app.repos.RepositoryGeneric.get_one -> sqlalchemy.orm.Session.get",
        ),
    ],
    ids=["property", "generic-base"],
)
def test_repositories_behind_properties_generics_and_star_imports_are_followed(
    folder: Path, controller: str, chain: str
) -> None:
    """mealie's `async def` endpoints run `self.repos.users.get_one(...)`, a synchronous
    SQLAlchemy query: `repos` is a property, the repository a subclass of
    `RepositoryGeneric[...]`, and the base controller is imported from a package that
    re-exports it with `from .base_controllers import *`. Each of the three stopped the
    chain (mealie: 1 FA103 before, 24 after, all in `async def` endpoints or their
    dependencies)."""
    write(
        folder,
        {
            "app/__init__.py": "",
            "app/repos.py": REPOSITORY,
            "app/base/__init__.py": "from .controllers import *\n",
            "app/base/controllers.py": (
                "from sqlalchemy.orm import Session\n\n"
                "from app.repos import RepositoryUsers\n\n\n"
                "class BaseController:\n"
                "    session: Session\n\n"
                "    @property\n"
                "    def repos(self) -> RepositoryUsers:\n"
                "        return RepositoryUsers(self.session)\n"
            ),
            "app/routes.py": controller,
        },
    )
    result = check()
    assert [code_chain[1:] for code_chain in found(result)] == [("FA103", chain)]


@pytest.mark.parametrize(
    "source",
    [
        "from {{cookiecutter.project_name}}.settings import settings\n",
        '{%- if cookiecutter.enable_redis == "True" %}\nimport redis\n{%- endif %}\n',
        "{# a comment of the template #}\nimport os\n",
    ],
)
def test_a_template_is_said_to_be_one(folder: Path, source: str) -> None:
    """A cookiecutter template's modules (73 in s3rius/FastAPI-template) were each told
    to be fixed or checked under a newer Python; they are templates, to leave out."""
    (folder / "app.py").write_text(source)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "(the line holds template markup: `{{ }}`, `{% %}` or `{# #}`); a template" in (
        result.stdout
    )
    assert "parsed as Python" not in result.stdout


def test_python_s_own_braces_are_no_template(folder: Path) -> None:
    (folder / "app.py").write_text('s = f"{{x}}" +\n')
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "template" not in result.stdout
    assert "parsed as Python" in result.stdout
