"""Which files are checked, and the dotted names each can be imported by."""

from __future__ import annotations

import errno
import os
import posixpath
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


def _excluded(folders: set[str], name: str, patterns: tuple[str, ...]) -> bool:
    """Whether `name`, in a folder reached as each of `folders` (relative paths with
    a trailing `/`), is left out."""
    return any(
        fnmatch(name, pattern) or any(fnmatch(f"{folder}{name}", pattern) for folder in folders)
        for pattern in patterns
    )


def _patterns(pattern: str, base: Path) -> tuple[str, ...]:
    """How a user's `exclude` pattern is matched, as ruff matches it: `migrations/` and
    `./migrations` are `migrations`, an absolute path inside `base` is relative to it,
    and `**/migrations` is also `migrations` at the top. They matched nothing."""
    normal = posixpath.normpath(pattern)
    if os.path.isabs(normal):
        try:
            relative = Path(normal).relative_to(base).as_posix()
        except ValueError:
            relative = "."
        normal = normal if relative == "." else relative
    if normal.startswith("**/"):
        return (normal, normal.removeprefix("**/"))
    return (normal,)


def discover(
    paths: list[Path], exclude: tuple[str, ...], base: Path
) -> tuple[list[SourceFile], list[str], list[BadOptionError]]:
    """The Python files under `paths`, sorted, warnings for the stderr, and the
    paths that cannot be checked (a folder that cannot be read, a file that is not
    Python, a pipe: their files are not checked; the rest is); a Python file named
    explicitly is always checked (excluded or not).

    Files are reported under the paths given and walked, as ruff reports them, not
    their symlinks' targets; a file reached by two routes (a symlink beside its
    target, a folder named twice) is checked once, under the first. A dangling or
    looping symlink met in a folder is skipped with a warning: it holds no code.
    `exclude` patterns match a file or folder name, or a path relative to `base`
    (as walked, or with the symlink the walk started from resolved).
    """
    patterns = (*DEFAULT_EXCLUDE, *(p for pattern in exclude for p in _patterns(pattern, base)))
    # Real path -> every (path as reached, root given) that leads to it, first first.
    routes: dict[str, list[tuple[Path, Path]]] = {}
    warnings: list[str] = []
    errors: list[BadOptionError] = []
    for given in paths:
        try:
            mode = path_mode(given)
        except BadOptionError as exc:  # gone since `readable` saw it
            errors.append(exc)
            continue
        where = absolute(given)
        refused = _refusal(given, mode)
        if refused is not None:  # changed since `readable` saw it
            errors.append(refused)
            continue
        if stat.S_ISREG(mode):
            routes.setdefault(os.path.realpath(where), []).append((where, where.parent))
            continue
        # os.walk follows no symlinked folder below `where`: below its real path,
        # the folders are the same.
        real = Path(os.path.realpath(where))
        for folder, dirs, files in os.walk(
            where, onerror=lambda exc: errors.append(_unreadable(exc))
        ):
            current = Path(folder)
            real_current = real / current.relative_to(where)
            relatives = {_relative(current, base), _relative(real_current, base)}
            real_folder = str(real_current).rstrip("/")
            dirs[:] = sorted(d for d in dirs if not _excluded(relatives, d, patterns))
            for file in sorted(files):
                if file.endswith(".py") and not _excluded(relatives, file, patterns):
                    path = current / file
                    kind = _kind(path)
                    if kind in ("file", "link"):
                        key = os.path.realpath(path) if kind == "link" else f"{real_folder}/{file}"
                        routes.setdefault(key, []).append((path, where))
                    elif kind is not None:
                        warnings.append(f"warning: Skipped {_shown(str(path))}: {kind}.")
    namer = _Namer()
    cwd = Path.cwd()
    sources = [namer.source(found, cwd) for found in routes.values()]
    return sorted(sources, key=lambda source: source.path), warnings, errors


def absolute(given: Path) -> Path:
    """`given` from the working folder, as named (symlinks kept), with `.` and `x/..`
    dropped where that names the same thing (past a symlink, `link/..` is not the
    link's folder)."""
    plain = Path(os.path.abspath(given))
    if os.path.realpath(plain) == os.path.realpath(given):
        return plain
    return Path.cwd() / given


def readable(paths: list[Path]) -> tuple[list[Path], list[BadOptionError]]:
    """The paths named on the command line that can be checked, and why each other one
    cannot (missing, a dangling symlink, a folder on the way that may not be entered,
    a file that is not Python, a pipe or device), once each: as for a file that cannot
    be read, the rest is checked and the check exits 2. One missing path stopped the
    whole check."""
    found: list[Path] = []
    errors: dict[str, BadOptionError] = {}
    for given in paths:
        try:
            refused = _refusal(given, path_mode(given))
        except BadOptionError as exc:
            refused = exc
        if refused is None:
            found.append(given)
        else:
            errors.setdefault(str(given), refused)
    return found, list(errors.values())


def _refusal(given: Path, mode: int) -> BadOptionError | None:
    """Why a path named on the command line is not checked though it exists: a file
    that is not Python, or a pipe, socket or device. Reported like a missing path (the
    rest is checked, exit 2); they stopped the whole check. ruff parses any file named
    to it as Python (the words of notes.txt as undefined names), and waits for ever on
    a FIFO."""
    if stat.S_ISREG(mode):
        if _python_source(absolute(given)):
            return None
        return BadOptionError(
            f"{given}: not a Python file (.py, .pyi, no suffix, or a python `#!` line).",
            "Pass Python files, or folders that hold them.",
        )
    if stat.S_ISDIR(mode):
        return None
    # A FIFO would wait for a writer for ever; a device never ends. Only stat'ed.
    return BadOptionError(
        f"{given}: not a file or folder (a pipe, socket or device).",
        "Pass Python files, or folders that hold them.",
    )


def path_mode(given: Path) -> int:
    """The kind of a path named on the command line, or why it cannot be checked."""
    try:
        return given.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        if given.is_symlink():
            raise BadOptionError(
                f"{given}: a symbolic link to {os.readlink(given)}, which does not exist.",
                "Point the link at a file or folder, or pass another path.",
            ) from None
        raise BadOptionError(
            f"{given}: no such file or folder.",
            "Pass files or folders that exist, or nothing to check the current folder.",
        ) from None
    except OSError as exc:
        # A folder on the way that may not be entered was an "Unexpected
        # PermissionError"; a symlink loop read as missing.
        if exc.errno == errno.ELOOP:
            raise BadOptionError(
                f"{given}: a symbolic link that loops ({exc.strerror}).",
                "Point the link at a file or folder, or pass another path.",
            ) from None
        raise BadOptionError(
            f"Cannot read {given}: {exc.strerror or exc}.",
            "Make it readable, or check another path.",
        ) from None


def _unreadable(exc: OSError) -> BadOptionError:
    """A folder the walk cannot list: its files were left out without a word, and
    the check passed. The rest is checked, and the check exits 2."""
    return BadOptionError(
        f"Cannot read {_shown(exc.filename)}: {exc.strerror or exc}.",
        "Make the folder readable, or leave it out with --exclude.",
    )


def _shown(path: str | None) -> str:
    if path is None:
        return "a folder"
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
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


def _kind(path: Path) -> str | None:
    """What a *.py met in a walk is: `file` or `link` (to a file) to check it; None
    for a FIFO, socket, device or folder (reading a FIFO would wait for a writer for
    ever); for a dangling or looping symlink, why it is skipped. A file that cannot
    be stat'ed otherwise stays in, and its read error is reported."""
    try:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode):
            return "file" if stat.S_ISREG(mode) else None
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a symbolic link that loops ({exc.strerror})"
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)) and path.is_symlink():
            return f"a symbolic link to {os.readlink(path)}, which does not exist"
        return "file"
    return "link" if stat.S_ISREG(mode) else None


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

    def source(self, routes: list[tuple[Path, Path]], cwd: Path) -> SourceFile:
        """The file reached by `routes`, (path, root given) each: shown as the first
        reaches it, importable by the names of every route."""
        path, root = routes[0]
        name, names = self._names(path, root)
        for other, other_root in routes[1:]:
            names = (*names, *(n for n in self._names(other, other_root)[1] if n not in names))
        try:
            display = path.relative_to(cwd).as_posix()
        except ValueError:
            display = path.as_posix()
        return SourceFile(path, display, name, names, path.name == "__init__.py")

    def _names(self, path: Path, root: Path) -> tuple[str, tuple[str, ...]]:
        """The dotted name `path`'s own imports are relative to, and every name other
        modules may import it by, with `root` the folder given."""
        is_package = path.name == "__init__.py"
        parts = [] if is_package else [path.stem]
        folder = path.parent
        names = []
        # Folders between the file and the root given on the command line, innermost
        # first: each one may be on sys.path, and the package ones make a dotted name.
        # Past the root, the packages it is in: `fastasync check app`, `app` a package,
        # has `app/main.py` import `app.services` (no module was named `app.*`, and
        # every chain across modules was missed).
        package_name = None
        while True:
            dotted = ".".join(reversed(parts))
            if dotted:
                names.append(dotted)
            if package_name is None and not self._is_package(folder):
                package_name = dotted
            past_root = folder == root or root not in folder.parents
            if folder.parent == folder or (past_root and not self._is_package(folder)):
                break
            parts.append(folder.name)
            folder = folder.parent
        in_package = self._is_package(path.parent)
        name = package_name if in_package and package_name else (names[-1] if names else "")
        # Longest first: the names most likely to be the ones the code imports.
        names.reverse()
        return name, tuple(names)
