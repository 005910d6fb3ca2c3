"""`fastasync new PATH`: generate a project."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fastasync_cli.cli import params
from fastasync_cli.cli.output import handle_errors

if TYPE_CHECKING:
    from fastasync_cli.engine.names import Name


class CI(str, enum.Enum):
    github = "github"
    none = "none"


def new(
    path: Annotated[
        Path,
        typer.Argument(
            help="Folder to create the project in; it must not exist or be empty.",
            show_default=False,
            parser=params.path,
        ),
    ],
    *,
    name: Annotated[
        str | None,
        typer.Option(
            help="Project name \\[default: the last part of PATH]. `my-app` style names "
            "work: the distribution keeps the dash, identifiers use underscores.",
            show_default=False,
        ),
    ] = None,
    docker: Annotated[
        bool | None,
        typer.Option(
            "--docker/--no-docker",
            help="Add a Dockerfile and compose.yaml. \\[default: docker]",
            show_default=False,
        ),
    ] = None,
    ci: Annotated[
        CI | None,
        typer.Option(
            help="Continuous integration workflow to add. \\[default: github]",
            show_default=False,
            case_sensitive=False,
        ),
    ] = None,
    celery: Annotated[
        bool | None,
        typer.Option(
            "--celery/--no-celery",
            help="Add Celery with Redis, for jobs that must survive restarts (the same "
            "as `fastasync add celery` afterwards). \\[default: no-celery]",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: sqlite (embedded, nothing to install), postgres (asyncpg), or "
            "none (rows in memory, lost on restart). \\[default: sqlite]",
            show_default=False,
            metavar="sqlite|postgres|none",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print every file it would create; write nothing."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Allow a non-empty folder. Nothing there is deleted; files the "
            "project would replace are overwritten and listed as such.",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Take the defaults for anything not given; ask nothing."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every file and tracebacks.")
    ] = False,
) -> None:
    """Create a new async FastAPI project in PATH."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.cli.output import remove_leftovers
        from fastasync_cli.engine.journal import JOURNAL_NAME
        from fastasync_cli.engine.lock import project_lock
        from fastasync_cli.engine.project import MANIFEST_NAME
        from fastasync_cli.generators.db import check_kind
        from fastasync_cli.generators.project import (
            ProjectOptions,
            check_path,
            nearest_existing,
            plan_project,
        )

        if db is not None:
            db = check_kind(db, allow_none=True)
        target = Path(path).expanduser().absolute()
        project = _project_name(name, target)
        ask = not yes and sys.stdin.isatty()
        if docker is None:
            docker = (
                typer.confirm("Add a Dockerfile and compose.yaml?", default=True) if ask else True
            )
        if ci is None:
            ci = _ask_ci() if ask else CI.github
        if celery is None:
            celery = (
                typer.confirm(
                    "Add Celery with Redis for jobs that survive restarts?", default=False
                )
                if ask
                else False
            )
        if db is None:
            db = _ask_db() if ask else "sqlite"
        options = ProjectOptions(
            path=target,
            name=project,
            docker=docker,
            ci=ci.value,
            celery=celery,
            db=db,
            force=force,
        )
        check_path(target)
        # The folder itself when it exists (--force), else the nearest one above it.
        with project_lock(target if target.is_dir() else nearest_existing(target.parent)):
            # A project made before (--force), or a folder a killed `new` was filling
            # (its journal): what a killed run left in it is undone first.
            if (target / MANIFEST_NAME).is_file() or (target / JOURNAL_NAME).is_file():
                remove_leftovers(target, dry_run=dry_run)
            plan = plan_project(options)
            _report(plan, dry_run=dry_run, verbose=verbose, celery=celery, db=db)


def _project_name(name: str | None, target: Path) -> Name:
    """--name, or the folder's name; a bad folder name points at --name."""
    from fastasync_cli.engine.names import project_name
    from fastasync_cli.errors import BadNameError

    if name is not None:
        return project_name(name)
    try:
        return project_name(target.resolve().name)
    except BadNameError as exc:
        exc.hint = (
            exc.hint.rstrip(".") + ", and pass it with --name (the folder can keep its name)."
        )
        raise


def _ask_ci() -> CI:
    choices = {c.value for c in CI}
    while True:
        answer = typer.prompt("CI workflow (github or none)", default="github").strip().lower()
        if answer in choices:
            return CI(answer)
        typer.echo("Please answer github or none.")


def _ask_db() -> str:
    choices = ("sqlite", "postgres", "none")
    while True:
        answer: str = (
            typer.prompt("Database (sqlite, postgres or none)", default="sqlite").strip().lower()
        )
        if answer in choices:
            return answer
        typer.echo("Please answer sqlite, postgres or none.")


def _report(
    plan: object, *, dry_run: bool, verbose: bool, celery: bool = False, db: str = "none"
) -> None:
    import shlex

    from rich.markup import escape

    from fastasync_cli.cli import output
    from fastasync_cli.engine.apply import apply
    from fastasync_cli.engine.plan import Plan

    assert isinstance(plan, Plan)
    console = output.stdout()
    if verbose or dry_run:
        output.print_plan(plan)
    if dry_run:
        console.print(
            f"Dry run: {len(plan.writes)} files would be written to "
            f"{escape(output.display_path(plan.root))}; nothing was written."
        )
        return
    apply(plan)
    output.print_tree(plan)
    where = output.display_path(plan.root)
    console.print(f"\n[bold green]Created[/] {len(plan.writes)} files in {escape(where)}.")
    console.print("\nNext steps:")
    steps = [
        # Quoted: a folder with a space (or `[`, `$`) is one word to the shell.
        *([f"cd {shlex.quote(where)}"] if where != "." else []),
        "python -m venv .venv && . .venv/bin/activate",
        'pip install -e ".[dev]"',
        "pytest",
        *(["alembic upgrade head  # creates or migrates the database"] if db != "none" else []),
        "fastapi dev",
        *(
            ["celery -A app.worker worker --loglevel INFO  # with Redis at REDIS_URL"]
            if celery
            else []
        ),
    ]
    for step in steps:
        console.print(f"  {step}", markup=False)
