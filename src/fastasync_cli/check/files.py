"""Which files are checked, and the dotted names each can be imported by."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from fastasync_cli.errors import BadOptionError

DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    "__pypackages__",
)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    display: str
    """The path as reported: relative to the working folder when inside it."""
    name: str
    """The dotted name its own imports are relative to."""
    names: tuple[str, ...]
    """Every dotted name other modules may import it by."""
    is_package: bool


def _excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(name, pattern) or fnmatch(relative, pattern) for pattern in patterns)


def discover(paths: list[Path], exclude: tuple[str, ...], base: Path) -> list[SourceFile]:
    """The Python files under `paths`, sorted; a Python file named explicitly is always
    checked (excluded or not), another file or a pipe is refused.

    `exclude` patterns match a file or folder name, or a path relative to `base`.
    """
    patterns = (*DEFAULT_EXCLUDE, *exclude)
    found: dict[Path, Path] = {}
    for given in paths:
        mode = path_mode(given)
        root = given.resolve()
        if stat.S_ISREG(mode):
            if not _python_source(root):
                raise BadOptionError(
                    f"{given}: not a Python file (.py, .pyi, no suffix, or a python `#!` line).",
                    "Pass Python files, or folders that hold them.",
                )
            found.setdefault(root, root.parent)
            continue
        if not stat.S_ISDIR(mode):
            # A FIFO would wait for a writer for ever; a device never ends.
            raise BadOptionError(
                f"{given}: not a file or folder (a pipe, socket or device).",
                "Pass Python files, or folders that hold them.",
            )
        for folder, dirs, files in os.walk(root, onerror=_unreadable_folder):
            current = Path(folder)
            relative = _relative(current, base)
            dirs[:] = sorted(d for d in dirs if not _excluded(f"{relative}{d}", d, patterns))
            for file in files:
                if file.endswith(".py") and not _excluded(f"{relative}{file}", file, patterns):
                    path = current / file
                    if _readable_kind(path):
                        found.setdefault(path, root)
    namer = _Namer()
    cwd = Path.cwd().resolve()
    return [namer.source(path, root, cwd) for path, root in sorted(found.items())]


def path_mode(given: Path) -> int:
    """The kind of a path named on the command line, or why it cannot be checked."""
    try:
        return given.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise BadOptionError(
            f"{given}: no such file or folder.",
            "Pass files or folders that exist, or nothing to check the current folder.",
        ) from None
    except OSError as exc:
        # A folder on the way that may not be entered was an "Unexpected
        # PermissionError"; a symlink loop read as missing.
        raise BadOptionError(
            f"Cannot read {given}: {exc.strerror or exc}.",
            "Make it readable, or check another path.",
        ) from None


def _unreadable_folder(exc: OSError) -> None:
    """A folder the walk cannot list: its files were left out without a word, and
    the check passed."""
    raise BadOptionError(
        f"Cannot read {_shown(exc.filename)}: {exc.strerror or exc}.",
        "Make the folder readable, or leave it out with --exclude.",
    )


def _shown(path: str | None) -> str:
    if path is None:
        return "a folder"
    try:
        return Path(path).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})


def _python_source(path: Path) -> bool:
    """Whether a file named on the command line is checked: a Python suffix or none
    (as ruff checks scripts named to it), or another suffix with a `#!` line naming
    python. A file that cannot be read is kept: its read error is reported."""
    if not path.suffix or path.suffix.lower() in PYTHON_SUFFIXES:
        return True
    try:
        with path.open("rb") as file:
            first = file.readline(256)
    except OSError:
        return True
    return first.startswith(b"#!") and b"python" in first


def _readable_kind(path: Path) -> bool:
    """False for a FIFO, socket or device named *.py: reading a FIFO would wait for a
    writer for ever. A file that cannot be stat'ed (a dangling link) stays in, and its
    read error is reported."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return stat.S_ISREG(mode)


def _relative(path: Path, base: Path) -> str:
    try:
        relative = path.relative_to(base).as_posix()
    except ValueError:
        return f"{path.as_posix()}/"
    return "" if relative == "." else f"{relative}/"


class _Namer:
    def __init__(self) -> None:
        self._packages: dict[Path, bool] = {}

    def _is_package(self, folder: Path) -> bool:
        known = self._packages.get(folder)
        if known is None:
            known = self._packages[folder] = (folder / "__init__.py").is_file()
        return known

    def source(self, path: Path, root: Path, cwd: Path) -> SourceFile:
        is_package = path.name == "__init__.py"
        parts = [] if is_package else [path.stem]
        folder = path.parent
        names = []
        # Folders between the file and the root given on the command line, innermost
        # first: each one may be on sys.path, and the package ones make a dotted name.
        package_name = None
        while True:
            dotted = ".".join(reversed(parts))
            if dotted:
                names.append(dotted)
            if package_name is None and not self._is_package(folder):
                package_name = dotted
            if folder == root or folder.parent == folder or root not in folder.parents:
                break
            parts.append(folder.name)
            folder = folder.parent
        in_package = self._is_package(path.parent)
        name = package_name if in_package and package_name else (names[-1] if names else "")
        # Longest first: the names most likely to be the ones the code imports.
        names.reverse()
        try:
            display = path.relative_to(cwd).as_posix()
        except ValueError:
            display = path.as_posix()
        return SourceFile(path, display, name, tuple(names), is_package)
