"""`fastasync new`: a whole project, rendered from templates/project."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from fastasync_cli import __version__
from fastasync_cli.engine.fileio import scratch_folder
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.plan import Plan, plan_file
from fastasync_cli.engine.project import MANIFEST_NAME, Manifest, new_manifest
from fastasync_cli.engine.render import RenderedFile, read_tree, render_project
from fastasync_cli.errors import TargetError

CI_CHOICES = ("github", "none")


@dataclass(frozen=True)
class ProjectOptions:
    """Everything `fastasync new` was asked for."""

    path: Path
    name: Name
    docker: bool = True
    ci: str = "github"
    celery: bool = False
    db: str = "sqlite"
    force: bool = False

    def answers(self) -> dict[str, object]:
        return {
            "project_name": self.name.raw,
            "package_name": self.name.snake,
            "docker": self.docker,
            "ci": self.ci,
            "celery": self.celery,
            "fastasync_version": __version__,
        }

    def manifest_options(self) -> dict[str, object]:
        return {
            "name": self.name.raw,
            "docker": self.docker,
            "ci": self.ci,
            "celery": self.celery,
            "db": self.db,
        }


def nearest_existing(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if _exists(candidate):
            return candidate
    return Path("/")


def _exists(path: Path) -> bool:
    """`path.exists()`, false for a name too long to exist (which raises there)."""
    try:
        path.stat()
    except OSError:
        return False
    return True


def _shorten(text: str, room: int = 80) -> str:
    return text if len(text) <= room else f"{text[: room // 2]}...{text[-room // 2 :]}"


# Room for the project's own files below its folder: its longest path is ~60 bytes.
_ROOM_BELOW = 128


def check_path(path: Path) -> None:
    """Refuse a path that cannot become a folder, before anything (the lock included)
    touches it: a folder above it that is a file or a link to nothing, a name longer
    than the file system takes, a path the project's files would take past the
    system's limit. "Not a directory" or "File name too long" named neither."""
    for parent in reversed(path.parents):
        if _exists(parent) and not parent.is_dir():
            raise TargetError(
                f"{_shorten(str(parent))} is not a folder, so {path.name!r} cannot be made "
                "under it.",
                "Choose a path whose every part above the new folder is a folder, "
                "e.g. fastasync new my-app",
            )
        if not _exists(parent) and os.path.islink(parent):
            raise TargetError(
                f"{_shorten(str(parent))} is a symbolic link to {os.readlink(parent)}, which "
                f"does not exist, so {path.name!r} cannot be made under it.",
                "Remove the link or create the folder it leads to, or choose another path, "
                "e.g. fastasync new my-app",
            )
    existing = nearest_existing(path)
    name_max = _limit(existing, "PC_NAME_MAX", 255)
    for part in path.relative_to(existing).parts if existing != path else ():
        size = len(os.fsencode(part))
        if size > name_max:
            shown = _shorten(part, 40)
            raise TargetError(
                f"The folder name {shown!r} is {size} bytes long; this file system takes "
                f"names of at most {name_max}.",
                "Choose a shorter name, e.g. fastasync new my-app",
            )
    path_max = _limit(existing, "PC_PATH_MAX", 4096)
    size = len(os.fsencode(str(path)))
    if size + _ROOM_BELOW > path_max:
        raise TargetError(
            f"The path {_shorten(str(path))} is {size} bytes long; with the project's "
            f"files below it, it would pass the system's limit of {path_max}.",
            "Choose a folder nearer the root.",
        )


def _limit(folder: Path, name: str, default: int) -> int:
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError):
        return default


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a target that is a file, not empty (without --force), or not writable."""
    check_path(path)
    if path.is_symlink() and not path.exists():
        # Making the folder would fail on the link ("File exists"), and writing
        # through it would put the project somewhere the user did not name.
        raise TargetError(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist.",
            "Remove the link or create the folder it leads to, or choose another path, "
            "e.g. fastasync new my-app",
        )
    if path.exists() and not path.is_dir():
        raise TargetError(
            f"{path} exists and is not a folder.",
            "Choose a path for a new folder, e.g. fastasync new my-app",
        )
    if path.is_dir() and any(path.iterdir()) and not force:
        raise TargetError(
            f"{path} already exists and is not empty.",
            "Choose a new folder, or pass --force to generate into it (nothing there "
            "is deleted; files the project would replace are listed as overwrite).",
        )
    existing = nearest_existing(path)
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        raise TargetError(
            f"Cannot write to {existing}: the file system is read-only.",
            "Choose a folder on a writable file system.",
        )
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise TargetError(
            f"Cannot write to {existing}: permission denied.",
            "Choose a folder you can write to, or fix its permissions.",
        )


def plan_project(options: ProjectOptions) -> Plan:
    """Plan every file of a new project; nothing is written."""
    root = options.path
    check_target(root, force=options.force)
    plan = Plan(root=root, creates_root=not root.exists())
    # `new --celery --db KIND` is `new`, then `add celery`, then `add db --kind KIND`:
    # the same project, from the same plans.
    base = replace(options, celery=False, db="none")
    files = render_project(base.answers())
    manifest = new_manifest(__version__, base.manifest_options())
    if options.celery:
        files, manifest = _with_component(files, manifest, _celery_plan)
    if options.db != "none":
        files, manifest = _with_component(files, manifest, _db_plan(options.db))
    for rendered in files:
        plan.add(
            plan_file(
                root,
                rendered.path,
                rendered.content,
                force=options.force,
                mode=rendered.mode,
            )
        )
    plan.add(plan_file(root, MANIFEST_NAME, manifest, force=options.force))
    # `new --force` over a project saved with CRLF: its new files get CRLF too.
    plan.follow_line_endings()
    return plan


def _celery_plan(manifest: Manifest) -> Plan:
    from fastasync_cli.generators.celery import CeleryOptions, plan_celery

    return plan_celery(CeleryOptions(), manifest).plan


def _db_plan(kind: str) -> Callable[[Manifest], Plan]:
    def plan(manifest: Manifest) -> Plan:
        from fastasync_cli.generators.db import DbOptions, plan_db

        return plan_db(DbOptions(kind), manifest).plan

    return plan


def _with_component(
    files: list[RenderedFile], manifest: str, plan: Callable[[Manifest], Plan]
) -> tuple[list[RenderedFile], str]:
    """The project's files and manifest after an `add` command's `plan`.

    Generators edit a project on disk, so the project is written to a temporary
    folder, the generator's plan applied there, and the result read back.
    """
    from fastasync_cli.engine.apply import apply
    from fastasync_cli.engine.project import find_project

    with scratch_folder("fastasync-new-") as scratch:
        for rendered in files:
            target = scratch / rendered.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rendered.content, encoding="utf-8")
            target.chmod(rendered.mode)
        (scratch / MANIFEST_NAME).write_text(manifest, encoding="utf-8")
        apply(plan(find_project(scratch)), users_tree=False)
        tree = read_tree(scratch)
    rendered_files = [f for f in tree if str(f.path) != MANIFEST_NAME]
    manifest = next(f.content for f in tree if str(f.path) == MANIFEST_NAME)
    return rendered_files, manifest
