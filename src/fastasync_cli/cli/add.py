"""`fastasync add endpoint|client|task|celery`: grow a project."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fastasync_cli.cli import params
from fastasync_cli.cli.help import Command, Group
from fastasync_cli.cli.output import handle_errors

if TYPE_CHECKING:
    from fastasync_cli.engine.plan import Plan
    from fastasync_cli.engine.project import Manifest

app = typer.Typer(
    cls=Group,
    help="Add a component to the project around the current folder.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        help="The project's folder \\[default: found by walking up from the current folder].",
        show_default=False,
        parser=params.path,
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Print what would change, with diffs; write nothing."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace files that exist with other content.")
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")]


class Kind(str, enum.Enum):
    io = "io"
    cpu = "cpu"


class Backend(str, enum.Enum):
    local = "local"
    celery = "celery"


@contextmanager
def _locked_project(project: Path | None, *, dry_run: bool = False) -> Iterator[Manifest]:
    """The project's manifest, read under the project lock held until the `with` ends.

    Prints which project was found first: in a nested folder it may be an outer one.
    Temporary files a killed run left behind are removed first (listed in a dry run).
    """
    from rich.markup import escape

    from fastasync_cli.cli import output
    from fastasync_cli.engine.lock import project_lock
    from fastasync_cli.engine.project import find_root, read_manifest
    from fastasync_cli.errors import NotAProjectError

    if project is not None and not project.is_dir():
        raise NotAProjectError(
            f"--project {project} is not a folder.",
            "Pass the folder of a project made by `fastasync new`.",
        )
    root = find_root(project if project is not None else Path.cwd())
    output.stdout().print(f"[dim]project:[/] {escape(str(root))}")

    def waiting() -> None:
        output.stderr().print("Waiting for another fastasync command on this project to finish.")

    with project_lock(root, on_wait=waiting):
        output.remove_leftovers(root, dry_run=dry_run)
        if not root.exists():
            raise NotAProjectError(
                f"{root} was being made by a `fastasync new` that was killed; undoing it "
                "removed the folder.",
                "Run `fastasync new` again.",
            )
        yield read_manifest(root)


def _finish(
    plan: Plan, *, dry_run: bool, summary: str, next_step: str, conflict_hint: str = ""
) -> None:
    """Print the plan; apply it unless this is a dry run. Exit 1 on conflicts, with
    `conflict_hint` (or the general one) saying what to do."""
    from rich.markup import escape

    from fastasync_cli.cli import output
    from fastasync_cli.engine.apply import apply
    from fastasync_cli.errors import ConflictError

    output.print_plan(plan, diffs=dry_run)
    console = output.stdout()
    if plan.conflicts:
        names = ", ".join(str(c.path) for c in plan.conflicts)
        raise ConflictError(
            f"These files exist with other content: {names}.",
            conflict_hint
            or "Nothing was written. Run again with --force to replace them, or --dry-run "
            "to see the differences.",
        )
    if dry_run:
        console.print("Dry run: nothing was written.")
    elif plan.unchanged:
        console.print("Nothing to do: the project already has all of this.")
    else:
        apply(plan)
        console.print(f"[bold green]{escape(summary)}[/]")
        console.print(f"Next: {_from_root(plan.root, next_step)}", markup=False)
    output.print_by_hand(plan)


def _from_root(root: Path, commands: str) -> str:
    """`commands` (run in the project's folder) as typed where the user is: from a
    subfolder or elsewhere, after a `cd` to the project (`alembic` and the test paths
    need it)."""
    import os
    import shlex

    here = Path.cwd().resolve()
    root = root.resolve()
    if here == root:
        return commands
    # `../..` from inside the project, its full path from anywhere else.
    where = os.path.relpath(root, here) if root in here.parents else str(root)
    return f"cd {shlex.quote(where)} && {commands}"


@app.command("endpoint", no_args_is_help=True, cls=Command)
def endpoint(
    name: Annotated[str, typer.Argument(help="Resource name, e.g. products; served at /api/NAME.")],
    fields: Annotated[
        list[str] | None,
        typer.Argument(
            help="Fields as NAME:TYPE\\[{MAX}]\\[:unique]\\[:index]\\[?]\\[=VALUE], Rails-style: "
            "types str, int, float, bool, datetime, uuid; {MAX} is the longest str "
            "accepted (255); :unique adds a unique constraint (409 on a duplicate), "
            ":index an index; ? makes the field optional; =VALUE gives it a default. "
            "\\[default: name:str]",
            show_default=False,
        ),
    ] = None,
    *,
    project: ProjectOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Add a resource router with schemas, async storage and tests, served at /api/NAME."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.engine.fields import parse_fields
        from fastasync_cli.engine.names import component_name
        from fastasync_cli.generators.endpoint import EndpointOptions, plan_endpoint

        options = EndpointOptions(
            name=component_name(name, "endpoint"),
            fields=tuple(parse_fields(fields or [])),
            force=force,
        )
        with _locked_project(project, dry_run=dry_run) as manifest:
            tests = f"pytest tests/api/routes/test_{options.name.snake}.py"
            # With a database, the app starts only once the new table's migration ran.
            migrate = "" if manifest.database == "none" else "alembic upgrade head && "
            _finish(
                plan_endpoint(options, manifest).finished(),
                dry_run=dry_run,
                summary=f"Added endpoint {options.name.snake}: /api/{options.name.kebab}",
                next_step=migrate + tests,
            )


@app.command("client", no_args_is_help=True, cls=Command)
def client(
    name: Annotated[str, typer.Argument(help="Upstream name, e.g. github.")],
    *,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            help="The upstream's base URL, e.g. https://api.github.com.",
            show_default=False,
        ),
    ],
    project: ProjectOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Add a typed async client for an external API, shared app-wide via the lifespan."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.engine.names import component_name
        from fastasync_cli.generators.client import ClientOptions, check_base_url, plan_client

        options = ClientOptions(
            name=component_name(name, "client"), base_url=check_base_url(base_url), force=force
        )
        with _locked_project(project, dry_run=dry_run) as manifest:
            _finish(
                plan_client(options, manifest).finished(),
                dry_run=dry_run,
                summary=f"Added client {options.name.snake}: {options.name.pascal}ClientDep",
                next_step=f"pytest tests/clients/test_{options.name.snake}.py",
            )


@app.command("task", no_args_is_help=True, cls=Command)
def task(
    name: Annotated[str, typer.Argument(help="Task name; started with POST /api/jobs/NAME.")],
    *,
    kind: Annotated[
        Kind,
        typer.Option(
            help="io: an async def awaiting I/O, on the event loop. cpu: a plain def run in "
            "a worker process.",
            case_sensitive=False,
        ),
    ] = Kind.io,
    backend: Annotated[
        Backend,
        typer.Option(
            help="local: in-process jobs (lost on restart). celery: run by a Celery worker "
            "(needs `fastasync add celery`).",
            case_sensitive=False,
        ),
    ] = Backend.local,
    idempotent: Annotated[
        bool,
        typer.Option(
            "--idempotent",
            help="Celery only: running the task twice does no harm, so a job whose "
            "worker dies mid-way is run again by another worker (late acknowledgement).",
        ),
    ] = False,
    project: ProjectOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Add a background job, started with POST /api/jobs/NAME and followed with GET."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.engine.names import component_name
        from fastasync_cli.generators.task import TaskOptions, plan_task

        options = TaskOptions(
            name=component_name(name, "task"),
            kind=kind.value,
            backend=backend.value,
            idempotent=idempotent,
            force=force,
        )
        where = " (run by a Celery worker)" if options.backend == "celery" else ""
        with _locked_project(project, dry_run=dry_run) as manifest:
            _finish(
                plan_task(options, manifest).finished(),
                dry_run=dry_run,
                summary=f"Added {options.kind} task {options.name.snake}: "
                f"POST /api/jobs/{options.name.kebab}{where}",
                next_step=f"pytest tests/tasks/test_{options.name.snake}.py",
            )


@app.command("celery", cls=Command)
def celery(
    *,
    project: ProjectOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Add Celery with Redis: a worker for tasks that must survive restarts."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.generators.celery import CeleryOptions, plan_celery

        with _locked_project(project, dry_run=dry_run) as manifest:
            again = bool(manifest.project.get("celery"))
            _finish(
                plan_celery(CeleryOptions(force=force), manifest).finished(),
                dry_run=dry_run,
                summary="Added Celery: start a worker with `celery -A app.worker worker`",
                next_step="fastasync add task NAME --backend celery",
                conflict_hint=_CELERY_AGAIN if again else "",
            )


# The project has Celery already: the modules an earlier fastasync wrote are updated
# where they are still as written, so a conflict is a file changed since.
_CELERY_AGAIN = (
    "Nothing was written. This project has Celery already, and these files differ "
    "from what this fastasync writes (an earlier one wrote them, or they were "
    "changed since): --dry-run shows the differences (for Celery from before "
    "CELERY_INPUT_MAX_BYTES, the 413 of a too large job input). Bring them over by "
    "hand, or run again with --force to replace the files (changes to them are lost)."
)


@app.command("db", cls=Command)
def db(
    *,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="sqlite (embedded, nothing to install) or postgres (asyncpg).",
            metavar="sqlite|postgres",
        ),
    ] = "sqlite",
    project: ProjectOption = None,
    dry_run: DryRunOption = False,
    force: ForceOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Add an async database with migrations; every endpoint moves onto it."""
    with handle_errors(verbose=verbose):
        from fastasync_cli.generators.db import DbOptions, check_kind, plan_db

        options = DbOptions(kind=check_kind(kind, allow_none=False), force=force)
        with _locked_project(project, dry_run=dry_run) as manifest:
            _finish(
                plan_db(options, manifest).finished(),
                dry_run=dry_run,
                summary=f"Added the database ({options.kind}): models in app/models, "
                "migrations in migrations/",
                next_step="alembic upgrade head && pytest",
            )
