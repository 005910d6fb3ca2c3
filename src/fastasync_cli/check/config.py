"""`[tool.fastasync.check]` in pyproject.toml, merged with the command line."""

from __future__ import annotations

import json
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastasync_cli.check.calls import Blocking
from fastasync_cli.check.rules import RULES
from fastasync_cli.errors import BadOptionError

_KEYS = {"select", "ignore", "exclude", "extra-blocking-calls", "max-file-size"}
# A file's tree takes 80 to 400 times its size in memory (a 43 MB file of data took
# 16 GB and four minutes): larger files are not checked, and the check says so.
MAX_FILE_SIZE = 10_000_000
# Codes a user's own blocking calls may be reported under.
_EXTRA_CODES = {"FA101", "FA103", "FA104", "FA105", "FA106"}


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("FA",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_blocking: tuple[tuple[str, str], ...] = ()
    """(dotted name, code) pairs: the user's own blocking calls."""
    base: Path = Path()
    """The folder `exclude` patterns are relative to (the pyproject.toml's)."""
    max_file_size: int = MAX_FILE_SIZE
    """Larger files are not checked (reported, exit 2)."""

    def enabled(self, code: str) -> bool:
        if code == "FA001":
            return True
        if not any(_matches(code, s) for s in self.select):
            return False
        return not any(_matches(code, i) for i in self.ignore)

    def selects_nothing(self) -> bool:
        """Whether `select` and `ignore` leave no rule but FA001 (`select = []`, or
        `ignore` covering all that `select` names)."""
        return not any(self.enabled(code) for code in RULES if code != "FA001")

    def blocking_table(self) -> dict[str, Blocking]:
        return {
            name: Blocking(code, "configured blocking call") for name, code in self.extra_blocking
        }


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def parse_codes(text: str | None, where: str) -> tuple[str, ...]:
    """`FA101,FA2` -> its codes, each checked to select at least one rule."""
    if text is None:
        return ()
    codes = tuple(code.strip() for code in text.split(","))
    if "" in codes:
        # As in ruff: `--ignore ""` ignored nothing, `--select FA101,` looked fine.
        raise BadOptionError(
            f"{where} {text!r} has an empty rule code.",
            "Remove the extra comma, or name codes or prefixes such as FA101,FA2.",
        )
    for code in codes:
        _check_code(code, where)
    return codes


def parse_select(text: str) -> tuple[str, ...]:
    """--select's codes. None at all (`--select ""`, from an unset variable in CI)
    would report nothing and pass every file, so it is refused."""
    if not text.strip(" ,"):
        raise BadOptionError(
            f"--select {text!r} names no rule code, so nothing would be checked.",
            "Pass codes or prefixes (--select FA101,FA2), or leave --select out to "
            "check every rule.",
        )
    return parse_codes(text, "--select")


def _known(code: str) -> bool:
    """Whether `select` and `ignore` take `code`: ALL, or a rule code or its prefix."""
    return code == "ALL" or any(rule.startswith(code) for rule in RULES)


def _check_code(code: str, where: str) -> None:
    if not code:
        # Every code starts with "": `ignore = [""]` ignored every rule, silently.
        raise BadOptionError(
            f"An empty rule code in {where}.",
            "Remove it, or name a code or prefix such as FA101 or FA1.",
        )
    if code != code.upper() and _known(code.upper()):
        # As in ruff, selectors are case-sensitive: `fa101` was taken as FA101.
        raise BadOptionError(
            f"Unknown rule code `{code}` in {where}: rule codes are written in capitals.",
            f"Write `{code.upper()}`.",
        )
    if not _known(code):
        raise BadOptionError(
            f"Unknown rule code `{code}` in {where}.",
            f"Use codes from {min(RULES)} to {max(RULES)} or prefixes such as FA1; "
            "`fastasync check --explain CODE` describes a rule.",
        )


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` with a [tool.fastasync.check]."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if _is_file(candidate) and "fastasync" in _read(candidate):
            table = _table(candidate)
            if table is not None:
                return candidate
    return None


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; False in a folder that may not be searched (the
    check reports that folder when it walks it)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        # utf-8-sig: a byte order mark (Windows editors write one) is no TOML error;
        # ruff reads such a file too.
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadOptionError(
            f"Cannot read {path}: it is not UTF-8 ({exc.reason} at byte {exc.start}).",
            "Save it as UTF-8 (TOML files are), or check another folder.",
        ) from None
    except OSError as exc:
        raise BadOptionError(
            f"Cannot read {path}: {exc.strerror or exc}.",
            "Make the file readable, or check another folder.",
        ) from None


def parse_toml(text: str) -> dict[str, Any]:
    """`text` as TOML; a ValueError when it is not TOML."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)  # TOMLDecodeError is a ValueError
    import tomlkit  # pragma: no cover - Python 3.10
    from tomlkit.exceptions import TOMLKitError  # pragma: no cover

    try:  # pragma: no cover
        return tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:  # pragma: no cover
        raise ValueError(str(exc)) from None


def _table(path: Path) -> dict[str, Any] | None:
    try:
        data = parse_toml(_read(path))
    except ValueError as exc:
        raise BadOptionError(
            f"{path}: it is not valid TOML ({exc}).",
            "Fix the TOML where it says (a missing bracket, quote or value?).",
        ) from None
    table = data
    keys = ("tool", "fastasync", "check")
    for depth, key in enumerate(keys, start=1):
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            # `[tool]\nfastasync = 3` was an AttributeError ("please report").
            raise _bad(path, f"`{'.'.join(keys[:depth])}` must be a table")
        table = value
    return table


def get_table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`data[k1][k2]...`, or an empty table where a key is missing or not a table."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _bad(path: Path, what: str) -> BadOptionError:
    return BadOptionError(
        f"{path}: {what}.",
        "Fix [tool.fastasync.check]: its keys are select, ignore, exclude, "
        "extra-blocking-calls and max-file-size.",
    )


_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1_000,
    "mb": 1_000_000,
    "gb": 1_000_000_000,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
}
_SIZE = re.compile(r"\s*(-?\d+(?:_\d+)*)\s*([a-z]*)\s*", re.IGNORECASE)
_SIZE_HINT = (
    "a number of bytes (20000000) or a size with its unit (20MB; B, kB, MB, GB, KiB, MiB, GiB)"
)


def parse_size(value: object, where: str, *, typed: bool = False) -> int:
    """`max-file-size` in bytes: an integer, or a string such as "20MB" (units of
    1,000: the sizes the check reports) or "16MiB"; more than 0. `typed`: a value
    from the command line, quoted as typed."""
    size = None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (match := _SIZE.fullmatch(value)):
        factor = _UNITS.get(match[2].lower())
        size = None if factor is None else int(match[1]) * factor
    shown = repr(value) if typed else _toml(value)
    if size is None:
        raise BadOptionError(f"{where} must be a size, not {shown}.", f"Give {_SIZE_HINT}.")
    if size <= 0:
        # No file could be checked: every one would be reported as too large.
        raise BadOptionError(
            f"{where} must be more than 0 bytes, not {shown}.",
            f"Give {_SIZE_HINT}; the default is 10MB.",
        )
    return size


_LISTS = ("select", "ignore", "exclude")
_NAME_HINT = (
    "Write the dotted name the call is imported by: a function (`vendor_sdk.fetch_all`), "
    "a class, `Class.method`, or `Class.*` for every method."
)


def _toml(value: object) -> str:
    """A configured value as TOML writes it (`"a b"`, `3`, `true`)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def check_patterns(patterns: tuple[str, ...] | list[str], where: str) -> None:
    """Refuse a blank `exclude` pattern: it matches no file, silently."""
    for pattern in patterns:
        if not pattern.strip():
            raise BadOptionError(
                f"An empty pattern {_toml(pattern)} in {where} leaves nothing out.",
                "Remove it, or name a file or folder (`migrations`) or a glob (`legacy/*.py`).",
            )


def _strings(pyproject: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _bad(pyproject, f"`{key}` must be a list of strings, not {_toml(value)}")
    for item in value:
        if not isinstance(item, str):
            raise _bad(pyproject, f"`{key}` must be a list of strings; {_toml(item)} is not one")
    return tuple(value)


def _dotted_name(name: str) -> bool:
    """`vendor_sdk.Client.get`, `open` or `vendor_sdk.Client.*`: what a call's name
    can be matched with (`Class.*` is the only wildcard the lookup knows)."""
    parts = name.removesuffix(".*").split(".")
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in parts)


def _extra_blocking(pyproject: Path, extra: object) -> list[tuple[str, str]]:
    """`extra-blocking-calls` as (dotted name, code) pairs."""
    if isinstance(extra, dict):
        pairs = list(extra.items())
        for name, code in pairs:
            if not isinstance(code, str):
                raise _bad(
                    pyproject,
                    f"`extra-blocking-calls` gives {_toml(name)} the code {_toml(code)}, "
                    "not a string",
                )
    elif isinstance(extra, list):
        pairs = [(name, "FA101") for name in _strings(pyproject, "extra-blocking-calls", extra)]
    else:
        raise _bad(
            pyproject,
            "`extra-blocking-calls` must be a list of dotted names, or a table of "
            f"dotted names to codes, not {_toml(extra)}",
        )
    for name, code in pairs:
        if not _dotted_name(name):
            # It could never match a call: the check passed as if it were not there.
            raise BadOptionError(
                f"{pyproject}: `extra-blocking-calls` holds {_toml(name)}, which is not "
                "a dotted Python name.",
                _NAME_HINT,
            )
        if code not in _EXTRA_CODES and code.upper() in _EXTRA_CODES:
            raise BadOptionError(
                f"{pyproject}: `extra-blocking-calls` gives `{name}` the code `{code}`: rule "
                "codes are written in capitals.",
                f"Write `{code.upper()}`.",
            )
        if code not in _EXTRA_CODES:
            raise _bad(
                pyproject,
                f"`{name}` in extra-blocking-calls: use one of "
                f"{', '.join(sorted(_EXTRA_CODES))}, not `{code}`",
            )
    return pairs


def load(pyproject: Path | None) -> Settings:
    """The settings a pyproject.toml gives (the defaults when there is none)."""
    if pyproject is None:
        return Settings(base=Path.cwd().resolve())
    table = _table(pyproject) or {}
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _bad(pyproject, f"unknown key `{unknown[0]}` in [tool.fastasync.check]")
    lists = {key: _strings(pyproject, key, table.get(key, [])) for key in _LISTS}
    for key in ("select", "ignore"):
        lists[key] = tuple(code.strip() for code in lists[key])
        for code in lists[key]:
            _check_code(code, f"{pyproject} ({key})")
    check_patterns(lists["exclude"], f"{pyproject} (exclude)")
    pairs = _extra_blocking(pyproject, table.get("extra-blocking-calls", []))
    max_size = table.get("max-file-size", MAX_FILE_SIZE)
    # As in ruff, `select = []` selects no rule; only a missing key means every rule.
    return Settings(
        select=lists["select"] if "select" in table else ("FA",),
        ignore=lists["ignore"],
        exclude=lists["exclude"],
        extra_blocking=tuple(pairs),
        base=pyproject.parent.resolve(),
        max_file_size=parse_size(max_size, f"{pyproject}: `max-file-size`"),
    )
