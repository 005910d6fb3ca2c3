"""`[tool.fastasync.check]` in pyproject.toml, merged with the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from fastasync_cli.check.calls import Blocking
from fastasync_cli.check.rules import RULES
from fastasync_cli.errors import BadOptionError

_KEYS = {"select", "ignore", "exclude", "extra-blocking-calls"}
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
    codes = tuple(code.strip().upper() for code in text.split(",") if code.strip())
    for code in codes:
        _check_code(code, where)
    return codes


def parse_select(text: str) -> tuple[str, ...]:
    """--select's codes. None at all (`--select ""`, from an unset variable in CI)
    would report nothing and pass every file, so it is refused."""
    codes = parse_codes(text, "--select")
    if not codes:
        raise BadOptionError(
            f"--select {text!r} names no rule code, so nothing would be checked.",
            "Pass codes or prefixes (--select FA101,FA2), or leave --select out to "
            "check every rule.",
        )
    return codes


def _check_code(code: str, where: str) -> None:
    if not code:
        # Every code starts with "": `ignore = [""]` ignored every rule, silently.
        raise BadOptionError(
            f"An empty rule code in {where}.",
            "Remove it, or name a code or prefix such as FA101 or FA1.",
        )
    if code != "ALL" and not any(rule.startswith(code) for rule in RULES):
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
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadOptionError(
            f"Cannot read {path}: {exc}.", "Make the file readable, or check another folder."
        ) from None


def parse_toml(text: str) -> dict:
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


def _table(path: Path) -> dict | None:
    try:
        data = parse_toml(_read(path))
    except ValueError as exc:
        raise _bad(path, f"it is not valid TOML ({exc})") from None
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


def get_table(data: dict, *keys: str) -> dict:
    """`data[k1][k2]...`, or an empty table where a key is missing or not a table."""
    for key in keys:
        value = data.get(key)
        data = value if isinstance(value, dict) else {}
    return data


def _bad(path: Path, what: str) -> BadOptionError:
    return BadOptionError(
        f"{path}: {what}.",
        "Fix [tool.fastasync.check]: its keys are select, ignore, exclude and "
        "extra-blocking-calls.",
    )


def load(pyproject: Path | None) -> Settings:
    """The settings a pyproject.toml gives (the defaults when there is none)."""
    if pyproject is None:
        return Settings(base=Path.cwd().resolve())
    table = _table(pyproject) or {}
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _bad(pyproject, f"unknown key `{unknown[0]}` in [tool.fastasync.check]")
    lists = {}
    for key in ("select", "ignore", "exclude"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(pyproject, f"`{key}` must be a list of strings")
        lists[key] = tuple(value)
    for key in ("select", "ignore"):
        lists[key] = tuple(code.strip().upper() for code in lists[key])
        for code in lists[key]:
            _check_code(code, f"{pyproject} ({key})")
    extra = table.get("extra-blocking-calls", [])
    pairs: list[tuple[str, str]] = []
    if isinstance(extra, list) and all(isinstance(v, str) for v in extra):
        pairs = [(name, "FA101") for name in extra]
    elif isinstance(extra, dict) and all(isinstance(v, str) for v in extra.values()):
        pairs = [(name, code.upper()) for name, code in extra.items()]
    else:
        raise _bad(
            pyproject,
            "`extra-blocking-calls` must be a list of dotted names, or a table of "
            "dotted names to codes",
        )
    for name, code in pairs:
        if code not in _EXTRA_CODES:
            raise _bad(
                pyproject,
                f"`{name}` in extra-blocking-calls: use one of "
                f"{', '.join(sorted(_EXTRA_CODES))}, not `{code}`",
            )
    # As in ruff, `select = []` selects no rule; only a missing key means every rule.
    return Settings(
        select=lists["select"] if "select" in table else ("FA",),
        ignore=lists["ignore"],
        exclude=lists["exclude"],
        extra_blocking=tuple(pairs),
        base=pyproject.parent.resolve(),
    )
