"""Validate the names users type and derive identifiers, class names and URLs from them."""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass

from fastasync_cli.engine.dependency_names import DISTRIBUTION_NAMES, IMPORT_NAMES
from fastasync_cli.errors import BadNameError

MAX_PROJECT_NAME = 64
MAX_COMPONENT_NAME = 50

# PostgreSQL truncates identifiers (table, index, constraint names) to 63 bytes.
MAX_IDENTIFIER_BYTES = 63

# A letter first, then letters and digits, single dashes or underscores between them
# (always matched whole: `fullmatch`, so a trailing newline is refused too).
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")

# Import names a generated project depends on, or uses as its own top-level packages.
# A project or component with one of these names would shadow it on import.
RESERVED_IMPORT_NAMES = frozenset(
    {
        "aiohttp",
        "anyio",
        "app",
        "asgi_lifespan",
        "blockbuster",
        "celery",
        "copier",
        "fastapi",
        "fastasync",
        "fastasync_cli",
        "httpx",
        "httpx_aiohttp",
        "jinja2",
        "kombu",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "redis",
        "respx",
        "ruff",
        "stamina",
        "starlette",
        "tests",
        "typer",
        "uvicorn",
        "uvloop",
    }
)


def is_utf8(text: str) -> bool:
    """Whether `text` can be written as UTF-8: an argument holding bytes that are not
    UTF-8 (a Latin-1 terminal's `é`) reaches Python as lone surrogates, which no
    file fastasync writes can hold."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Name:
    """A validated name in every form the templates need."""

    raw: str  # as typed: "order-items"
    snake: str  # Python identifier and module name: "order_items"
    kebab: str  # distribution names and URLs: "order-items"
    pascal: str  # class names: "OrderItems"
    words: str  # prose: "order items"

    @property
    def singular_pascal(self) -> str:
        """The class name of one item: `order_items` -> `OrderItem`."""
        return singular(self.pascal)

    @property
    def singular_words(self) -> str:
        return singular(self.words)

    def identifier(self, prefix: str = "", suffix: str = "") -> str:
        """`prefix + snake + suffix` as a database identifier of at most 63 bytes."""
        return database_identifier(f"{prefix}{self.snake}{suffix}")


def database_identifier(text: str) -> str:
    """`text` if it fits PostgreSQL's 63-byte identifiers, else a shortened form.

    Long identifiers keep their start and end a short hash of the whole, so two
    long names that share a prefix still differ, and the same name always gives
    the same identifier.
    """
    encoded = text.encode()
    if len(encoded) <= MAX_IDENTIFIER_BYTES:
        return text
    digest = hashlib.sha256(encoded).hexdigest()[:8]
    head = encoded[: MAX_IDENTIFIER_BYTES - len(digest) - 1].decode(errors="ignore")
    return f"{head.rstrip('_')}_{digest}"


_KEEP_AS_IS = ("ss", "us", "is", "news", "series", "data", "media")
# Plurals no suffix rule undoes ("Another people already has this email").
_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "geese": "goose",
    "teeth": "tooth",
    "feet": "foot",
    "oxen": "ox",
}


def singular(word: str) -> str:
    """A plain-English singular for resource names; leaves doubtful words alone."""
    # The last word of "sales people" or "SalesPeople".
    last = re.split(r" |(?<=[a-z0-9])(?=[A-Z])", word)[-1]
    irregular = _IRREGULAR.get(last.lower())
    if irregular is not None:
        head = word[: len(word) - len(last)]
        return head + (irregular.capitalize() if last[:1].isupper() else irregular)
    lower = word.lower()
    if lower.endswith(_KEEP_AS_IS) or len(word) < 3:
        return word
    if lower.endswith("ies"):
        return word[:-3] + ("Y" if word[-3].isupper() else "y")
    if lower.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s"):
        return word[:-1]
    return word


def _forms(raw: str) -> Name:
    snake = raw.replace("-", "_").lower()
    parts = snake.split("_")
    return Name(
        raw=raw,
        snake=snake,
        kebab="-".join(parts),
        pascal="".join(part[:1].upper() + part[1:] for part in parts),
        words=" ".join(parts),
    )


def _suggest(raw: str, suffix: str) -> str:
    # Accented letters lose their accents (café -> cafe) rather than the letter.
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-").lower()
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"{suffix}-{cleaned}" if cleaned else suffix
    elif not cleaned.endswith(suffix):
        cleaned = f"{cleaned}-{suffix}"
    return cleaned


def _check_shape(value: str, what: str, max_length: int, suffix: str) -> None:
    shown = repr(value)
    if not value.strip():
        raise BadNameError(
            f"The {what} is empty.",
            f"Give a name such as '{suffix}' or 'my-{suffix}'.",
        )
    if "/" in value or "\\" in value:
        raise BadNameError(
            f"The {what} {shown} contains a path separator.",
            f"Use a plain name such as {_suggest(value.replace('/', '-'), suffix)!r}.",
        )
    if value in {".", ".."}:
        raise BadNameError(
            f"The {what} {shown} is not a name.",
            f"Use a plain name such as 'my-{suffix}'.",
        )
    if len(value) > max_length:
        raise BadNameError(
            f"The {what} {shown[:24]}... is {len(value)} characters long; "
            f"the limit is {max_length}.",
            "Use a shorter name.",
        )
    if value[0].isdigit():
        raise BadNameError(
            f"The {what} {shown} starts with a digit, so it cannot be a Python identifier.",
            f"Start it with a letter, e.g. {_suggest(value, suffix)!r}.",
        )
    if not _NAME_RE.fullmatch(value):
        raise BadNameError(
            f"The {what} {shown} may only contain ASCII letters, digits, and single "
            "'-' or '_' between them.",
            f"Use a name such as {_suggest(value, suffix)!r}.",
        )


def _check_identifier(name: Name, what: str, suffix: str) -> None:
    snake = name.snake
    shown = repr(name.raw)
    if keyword.iskeyword(snake) or keyword.issoftkeyword(snake):
        raise BadNameError(
            f"The {what} {shown} is a Python keyword.",
            f"Pick another name, e.g. '{name.kebab}-{suffix}'.",
        )
    if snake in sys.stdlib_module_names:
        raise BadNameError(
            f"The {what} {shown} would shadow the standard library module {snake!r}.",
            f"Pick another name, e.g. '{name.kebab}-{suffix}'.",
        )
    if snake in RESERVED_IMPORT_NAMES:
        raise BadNameError(
            f"The {what} {shown} would shadow the {snake!r} package the project imports.",
            f"Pick another name, e.g. '{name.kebab}-{suffix}'.",
        )


def project_name(value: str) -> Name:
    """Validate a project name (`my-app`); the distribution keeps the dash."""
    _check_shape(value, "project name", MAX_PROJECT_NAME, "app")
    name = _forms(value)
    _check_identifier(name, "project name", "app")
    if name.kebab in DISTRIBUTION_NAMES or name.snake in IMPORT_NAMES:
        raise BadNameError(
            f"The project name {value!r} is the name of a package the project depends on, "
            "so it could not be installed.",
            f"Pick another name, e.g. '{name.kebab}-app'.",
        )
    return name


def component_name(value: str, kind: str) -> Name:
    """Validate the name of an endpoint, client or task; it becomes a module name."""
    _check_shape(value, f"{kind} name", MAX_COMPONENT_NAME, kind)
    name = _forms(value)
    _check_identifier(name, f"{kind} name", kind)
    if name.snake.startswith("_") or hasattr(builtins, name.snake):
        raise BadNameError(
            f"The {kind} name {value!r} would shadow Python's built-in {name.snake!r}.",
            f"Pick another name, e.g. '{name.kebab}-{kind}'.",
        )
    return name
