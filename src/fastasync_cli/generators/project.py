"""`fastasync new`: a whole project, rendered from templates/project."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fastasync_cli import __version__
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.plan import Plan, plan_file
from fastasync_cli.engine.project import MANIFEST_NAME, new_manifest
from fastasync_cli.engine.render import render_project
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
        }


def _nearest_existing(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if candidate.exists():
            return candidate
    return Path("/")


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a target that is a file, not empty (without --force), or not writable."""
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
    existing = _nearest_existing(path)
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
    for rendered in render_project(options.answers()):
        plan.add(
            plan_file(
                root,
                rendered.path,
                rendered.content,
                force=options.force,
                mode=rendered.mode,
            )
        )
    manifest = new_manifest(__version__, options.manifest_options())
    plan.add(plan_file(root, MANIFEST_NAME, manifest, force=options.force))
    return plan
