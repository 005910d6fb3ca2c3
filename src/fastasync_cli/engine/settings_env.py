"""The environment variable each settings field is read from, as pydantic-settings
names it: `env_prefix` in front of the field's name, upper-case unless
`case_sensitive` (`model_config = SettingsConfigDict(env_prefix="APP_")` reads
`redis_url` from `APP_REDIS_URL`).

Only literal values count (a string for the prefix, `True`/`False`): anything else
is computed at run time, and the names are then left to the user. The prefix may
come from a base class (engine/settings_config.py follows them through the
project's modules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from fastasync_cli.engine.settings_config import Reader, UnknownConfig, settings_config

SETTINGS_MODULE = "app/core/config.py"
# A prefix goes into Python strings and docstrings, f-strings, regular expressions
# and .env files: only characters that mean the same in all of them.
_WRITABLE_PREFIX = re.compile(r"[A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class EnvNames:
    """How the `Settings` class names its environment variables."""

    prefix: str = ""
    case_sensitive: bool = False
    # Why the names cannot be known (a prefix that is not a literal string); None when
    # they can.
    unknown: str | None = None
    # With `unknown`: the variables named without the prefix so far (upper case), for
    # the warning that says where (`ComponentPlan.finished`).
    named_bare: set[str] = field(default_factory=set, compare=False)

    def name(self, field: str) -> str:
        """The variable the field `field` (any case) is read from."""
        if self.unknown is not None:
            self.named_bare.add(field.upper())
        if self.case_sensitive:
            return f"{self.prefix}{field.lower()}"
        return f"{self.prefix}{field}".upper()

    def rename(self, text: str, fields: Iterable[str]) -> str:
        """`text` (documentation, `.env` lines, compose entries) with each of `fields`
        named in it as a variable (`REDIS_URL`) turned into the variable it is read
        from (`APP_REDIS_URL`)."""
        if self.unknown is not None:
            self.named_bare.update(
                name for name in {f.upper() for f in fields} if variable_in(name, text)
            )
        if not self.prefix and not self.case_sensitive:
            return text
        names = sorted({field.upper() for field in fields}, key=len, reverse=True)
        if not names:
            return text
        pattern = re.compile(
            rf"(?<![A-Za-z0-9_])({'|'.join(map(re.escape, names))})(?![A-Za-z0-9_])"
        )
        return pattern.sub(lambda match: self.name(match.group(1)), text)


def variable_in(name: str, text: str, before: str = "") -> bool:
    """Whether `text` names the variable `name` more often than `before` did."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")
    return len(pattern.findall(text)) > len(pattern.findall(before))


def env_names(source: str | None, read: Reader | None = None) -> EnvNames:
    """How the `Settings` class in `source` (app/core/config.py) names its
    variables, its base classes' `model_config` merged under its own as pydantic
    does; `read` reads the project's other modules (where bases are imported from).
    The defaults when there is no such class or it does not parse (the settings
    edit says so)."""
    if source is None:
        return EnvNames()
    try:
        config = settings_config(source, SETTINGS_MODULE, "Settings", read or _nothing)
    except cst.ParserSyntaxError:
        return EnvNames()
    except UnknownConfig as exc:
        return EnvNames(
            unknown=f"{exc}, so the names of its environment variables (`env_prefix`) are unknown"
        )
    if config is None:
        return EnvNames()
    prefix = config.get("env_prefix")
    sensitive = config.get("case_sensitive")
    if prefix is not None and not isinstance(prefix.value, str | None):
        return EnvNames(
            unknown=f"`env_prefix` of {prefix.owner} is not a literal string, so the "
            "names of its environment variables are unknown"
        )
    if sensitive is not None and not isinstance(sensitive.value, bool):
        return EnvNames(
            unknown=f"`case_sensitive` of {sensitive.owner} is not True or False, so the "
            "names of its environment variables are unknown"
        )
    if prefix is not None and not _WRITABLE_PREFIX.fullmatch(str(prefix.value or "")):
        return EnvNames(
            unknown=f"`env_prefix` of {prefix.owner} ({prefix.value!r}) holds characters "
            "other than letters, digits, `_`, `-` and `.`, which fastasync does not write "
            "into code or .env files"
        )
    return EnvNames(
        prefix=str(prefix.value or "") if prefix is not None else "",
        case_sensitive=bool(sensitive.value) if sensitive is not None else False,
    )


def _nothing(rel: str) -> None:
    return None
