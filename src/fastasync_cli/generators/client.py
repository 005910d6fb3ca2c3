"""`fastasync add client NAME --base-url URL`: a typed wrapper over the client base."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastasync_cli.engine import edits
from fastasync_cli.engine.names import Name, is_utf8
from fastasync_cli.engine.project import Manifest
from fastasync_cli.engine.render import render_piece
from fastasync_cli.errors import BadOptionError, EditError
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit
from fastasync_cli.generators.env_example import edit_env_example

_URL_UNSAFE = re.compile(r"[\s\"'\\<>`{}|^\x00-\x1f\x7f]")
_EXAMPLE = "e.g. --base-url https://api.example.com or --base-url http://[::1]:8080/v1"

# The settings fields a client adds, after its name: `github_base_url`, ...
SETTINGS_SUFFIXES = (
    "base_url",
    "api_key",
    "timeout",
    "connect_timeout",
    "deadline",
    "max_connections",
    "retries",
    "max_response_bytes",
)


def _bad_url(url: str, problem: str) -> BadOptionError:
    return BadOptionError(
        f"--base-url {url!r} {problem}.", f"Give the upstream's base URL, {_EXAMPLE}"
    )


def check_base_url(url: str) -> str:
    """An absolute http(s) URL that is safe to write into Python and .env files."""
    if not is_utf8(url):
        raise BadOptionError(
            f"--base-url {url!r} holds bytes that are not UTF-8 text.",
            "Set the terminal to UTF-8 (or give the URL in ASCII, %-encoded), then run again.",
        )
    if _URL_UNSAFE.search(url):
        raise _bad_url(url, "contains a space, a quote or another character URLs cannot hold")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 raises
        hostname = parts.hostname
    except ValueError as exc:
        raise _bad_url(url, f"is not a valid URL ({exc})") from None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _bad_url(url, "is not an absolute http(s) URL")
    if not hostname:
        raise _bad_url(url, "has no host")
    if port == 0:
        raise _bad_url(url, "has port 0, which no server listens on")
    if parts.fragment or url.endswith("#"):
        raise _bad_url(url, "has a #fragment, which is never sent to a server")
    if parts.username is not None or parts.password is not None:
        raise BadOptionError(
            f"--base-url {url!r} holds a user name or password.",
            "Give the URL without them and put credentials in .env, not in the code.",
        )
    return url


@dataclass(frozen=True)
class ClientOptions:
    name: Name
    base_url: str
    force: bool = False


# Seconds must be finite and above 0: pydantic refuses anything else at start-up,
# naming the setting.
_SECONDS = "gt=0, allow_inf_nan=False"


def settings_fields(options: ClientOptions) -> list[edits.Field]:
    prefix = options.name.snake
    return [
        edits.Field(f"{prefix}_{key}", f"{prefix}_{key}: {annotation} = {default}")
        for key, (annotation, default) in zip(
            SETTINGS_SUFFIXES,
            [
                ("str", f'"{options.base_url}"'),
                ("SecretStr | None", "None"),
                ("float", f"Field(default=30.0, {_SECONDS})"),
                ("float", f"Field(default=5.0, {_SECONDS})"),
                ("float", f"Field(default=120.0, {_SECONDS})"),
                ("int", "Field(default=100, ge=1)"),
                ("int", "Field(default=2, ge=0)"),
                ("int", "Field(default=16 * 1024 * 1024, ge=1)"),
            ],
            strict=True,
        )
    ]


def env_entries(options: ClientOptions) -> list[str]:
    """The client's lines in .env.example: each setting, with what it means."""
    env = options.name.snake.upper()
    return [
        f"{env}_BASE_URL={options.base_url}",
        f"# Sent with every request as `Authorization: Bearer <key>` (see\n"
        f"# app/clients/{options.name.snake}.py); set it in .env, never commit it.\n"
        f"# {env}_API_KEY=",
        f"# Seconds to wait for each read, and for a connection.\n# {env}_TIMEOUT=30.0",
        f"# Seconds to wait for a TCP (and TLS) connection to be made.\n"
        f"# {env}_CONNECT_TIMEOUT=5.0",
        f"# Seconds one call may take in all, retries included.\n# {env}_DEADLINE=120.0",
        f"# Connections open at once to this upstream.\n# {env}_MAX_CONNECTIONS=100",
        f"# Extra attempts for GET, PUT and DELETE after a transient failure.\n# {env}_RETRIES=2",
        f"# Largest answer body read, in bytes, counted after decompression (16 MiB);\n"
        f"# a larger one fails the call instead of filling the app's memory.\n"
        f"# {env}_MAX_RESPONSE_BYTES=16777216",
    ]


def plan_client(options: ClientOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the client module and its tests; add its settings, lifespan line and dependency."""
    name = options.name
    builder = ComponentPlan(manifest, options.force)
    builder.check_name(name, "client")
    context = {"name": name, "base_url": options.base_url}
    builder.create(
        f"app/clients/{name.snake}.py", builder.render("client", "client.py.jinja", context)
    )
    builder.create(
        f"tests/clients/test_{name.snake}.py",
        builder.render("client", "test_client.py.jinja", context),
    )

    fields = settings_fields(options)
    differing: list[str] = []

    def add_fields(module: object) -> object:
        updated, changed = edits.ensure_class_fields(
            module,  # type: ignore[arg-type]
            "Settings",
            fields,
            f"The {name.words} API (fastasync add client {name.raw}).",
            replace=options.force,
            line_length=builder.line_length,
        )
        differing.extend(changed)
        return updated

    builder.edit_python(
        "app/core/config.py",
        [
            import_edit("pydantic", "Field"),
            import_edit("pydantic", "SecretStr"),
            PythonEdit(add_fields, "\n".join(f"    {f.code}  # in class Settings" for f in fields)),
        ],
    )
    if differing and not options.force:
        raise EditError(
            f"app/core/config.py already sets {', '.join(differing)} differently.",
            "Nothing was written. Change the value there, or run again with --force to replace it.",
        )
    edit_env_example(
        builder,
        f"The {name.words} API",
        env_entries(options),
        [field.name for field in fields],
        f"the {name.snake} client's settings",
    )
    client_class = f"{name.pascal}Client"
    open_line = (
        f'state["{name.snake}"] = await stack.enter_async_context('
        f"{client_class}.from_settings(settings))"
    )
    builder.add_to_lifespan(f"app.clients.{name.snake}", client_class, open_line)
    builder.add_dependency(
        f"app.clients.{name.snake}", client_class, render_piece("client", "deps.py.jinja", context)
    )
    builder.record({"kind": "client", "name": name.snake, "base_url": options.base_url})
    return builder
