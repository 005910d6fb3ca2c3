"""How plans, trees and errors look in the terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import typer

from fastasync_cli.errors import FastasyncError

if TYPE_CHECKING:
    from rich.console import Console

    from fastasync_cli.engine.plan import Plan
    from fastasync_cli.engine.undo import Recovery

_STYLES = {
    "create": "green",
    "update": "yellow",
    "overwrite": "bold yellow",
    "identical": "cyan",
    "conflict": "bold red",
    "skip": "dim",
}
_WIDTH = max(len(word) for word in _STYLES)


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(file=_Stdout(), highlight=False, soft_wrap=True)  # type: ignore[arg-type]


class _Stdout:
    """`sys.stdout` as it is at each write (tests swap it), where a reader that went
    away (`fastasync add ... | head -1`) ends the output, not the command.

    The broken pipe stopped the command with a silent exit 1 wherever it was: before
    apply nothing was written, after it everything was, and which one depended on
    when the reader left. The plan and the outcome are information; what the command
    does was decided by running it, and errors still reach stderr."""

    def write(self, text: str) -> int:
        try:
            return sys.stdout.write(text)
        except BrokenPipeError:
            _stdout_to_nowhere()
            return len(text)

    def flush(self) -> None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _stdout_to_nowhere()

    def __getattr__(self, name: str) -> object:
        return getattr(sys.stdout, name)


def _stdout_to_nowhere() -> None:
    """Send what is still to come on stdout to /dev/null, so that neither a later
    write nor Python's last flush on the way out (exit 120) meets the broken pipe."""
    import io

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    finally:
        os.close(devnull)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(exc: FastasyncError) -> None:
    """Two lines on stderr: what is wrong, what to do; then any details."""
    from rich.markup import escape

    console = stderr()
    console.print(f"[bold red]error:[/] {escape(exc.message)}")
    console.print(f"[bold]hint:[/] {escape(exc.hint)}")
    if exc.details:
        console.print(escape(exc.details.rstrip("\n")))


@contextmanager
def handle_errors(*, verbose: bool) -> Iterator[None]:
    """Turn every failure into its message and exit code; tracebacks only if verbose."""
    from fastasync_cli import interrupts

    interrupts.mark_written(False)
    try:
        yield
    except FastasyncError as exc:
        print_error(exc)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except typer.Abort as exc:
        # Ctrl-C at a prompt: click turns it into Abort; the convention is still 130.
        if isinstance(exc.__context__, KeyboardInterrupt):
            _interrupted(exc.__context__)
        raise
    except typer.Exit:
        raise
    except Exception as exc:
        if verbose:
            raise
        from rich.markup import escape

        written = interrupts.written()
        stderr().print(f"[bold red]error:[/] Unexpected {type(exc).__name__}: {escape(str(exc))}")
        stderr().print(
            "[bold]hint:[/] "
            + ("The changes were written. " if written else "Nothing was changed. ")
            + "Run again with --verbose to see the traceback, and report it."
        )
        raise typer.Exit(1) from None


def _interrupted(exc: KeyboardInterrupt) -> None:
    """One line for Ctrl-C, SIGTERM or SIGHUP; exit 128 + the signal's number."""
    from rich.markup import escape

    from fastasync_cli import interrupts

    stderr().print(f"[bold red]error:[/] {escape(interrupts.message(exc))}")
    raise typer.Exit(interrupts.exit_code(exc)) from None


def status_line(action: str, path: PurePosixPath | str) -> str:
    style = _STYLES.get(action, "")
    return f"[{style}]{action:>{_WIDTH}}[/]  {path}"


def print_plan(plan: Plan, *, diffs: bool = False) -> None:
    """One aligned status line per file; with `diffs`, the diff of every update."""
    from rich.markup import escape

    console = stdout()
    for change in plan.changes:
        line = status_line(change.action.value, escape(str(change.path)))
        if change.reason:
            line += f"  [dim]({escape(change.reason)})[/]"
        console.print(line)
    if diffs:
        # Only dry runs show diffs; Syntax pulls in pygments, which is slow to import.
        from rich.syntax import Syntax

        for change in plan.changes:
            if change.action.value in {"update", "overwrite"} and change.old is not None:
                console.print(Syntax(change.diff(), "diff", theme="ansi_dark"))


def remove_leftovers(root: Path, *, dry_run: bool) -> None:
    """Undo a run killed mid-commit (see `engine.undo`), then remove the temporary
    files of killed runs under `root` (say what in a dry run), one line each; call it
    holding the project lock."""
    from fastasync_cli.engine.leftovers import (
        remove_stale_temporaries,
        stale_temporaries,
        temporary_files,
    )
    from fastasync_cli.engine.undo import recover

    # One walk of the tree for both: the killed run's own temporary files go with its
    # undo, the others (and, in a dry run, those too) in the line after it.
    real = root.resolve()
    temporaries = temporary_files(real)
    recovery = recover(real, dry_run=dry_run, temporaries=temporaries)
    if recovery is not None:
        stderr().print(recovery_line(recovery, dry_run=dry_run), markup=False)
        if dry_run and (recovery.restored or recovery.removed):
            # The plan is made from the files as they are now, the killed run's mix.
            stderr().print(
                "The changes below are planned against the files as the killed run left "
                "them; after the undo, a run may plan differently.",
                markup=False,
            )
    left = stale_temporaries(real, found=[p for p in temporaries if os.path.lexists(p)])
    found = remove_stale_temporaries(real, dry_run=dry_run, found=left)
    if not found:
        return
    names = ", ".join(str(path) for path in found)
    files = "file" if len(found) == 1 else "files"
    if dry_run:
        line = (
            f"Found {len(found)} temporary {files} of a killed fastasync run, which a run "
            f"without --dry-run removes: {names}"
        )
    else:
        line = f"Removed {len(found)} temporary {files} left by a killed fastasync run: {names}"
    # On stderr, as the undo's line: a repair of the last run, not this run's output.
    stderr().print(line, markup=False)


def recovery_line(recovery: Recovery, *, dry_run: bool) -> str:
    """One line: what undoing a killed run did, or in a dry run would do."""
    parts = []
    verbs = ("restores", "removes", "keeps") if dry_run else ("restored", "removed", "kept")
    names_by_verb = zip(verbs, (recovery.restored, recovery.removed, recovery.kept), strict=True)
    for verb, names in names_by_verb:
        if names:
            parts.append(f"{verb} {', '.join(names)}")
    if recovery.cleaned:
        cleaned = "removes" if dry_run else "removed"
        parts.append(f"{cleaned} its backup and temporary files {', '.join(recovery.cleaned)}")
    done = "; ".join(parts) or "found nothing else to do"
    pid = recovery.pid
    if recovery.committed:
        what = f"A fastasync run (process {pid}) was killed after writing all its changes"
    else:
        what = f"A fastasync run (process {pid}) was killed while writing its changes"
    if dry_run:
        undoes = "keeps them and" if recovery.committed else "undoes them and"
        return f"{what}; a run without --dry-run {undoes} {done}."
    if recovery.committed:
        return f"{what}; kept them and {done}."
    return f"{what}; undid them: {done}."


def print_by_hand(plan: Plan) -> None:
    """What the command left to the user: a warning, a hint and the lines, on stderr."""
    from rich.markup import escape

    console = stderr()
    for item in plan.by_hand:
        console.print(f"[bold yellow]warning:[/] {escape(item.message)}")
        console.print(f"[bold]hint:[/] {escape(item.hint)}")
        console.print(escape("\n".join(f"    {line}" for line in item.lines.splitlines())))


def print_tree(plan: Plan) -> None:
    """The files of a plan as a tree under its root, non-create actions marked."""
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(f"[bold]{escape(display_path(plan.root))}[/]")
    folders: dict[PurePosixPath, Tree] = {PurePosixPath("."): tree}
    for change in sorted(plan.changes, key=lambda c: c.path.parts):
        parent = PurePosixPath(".")
        for part in change.path.parts[:-1]:
            folder = parent / part
            if folder not in folders:
                folders[folder] = folders[parent].add(f"[bold blue]{escape(part)}/[/]")
            parent = folder
        label = escape(change.path.name)
        if change.action.value != "create":
            style = _STYLES[change.action.value]
            label += f"  [{style}]({change.action.value})[/]"
        folders[parent].add(label)
    stdout().print(tree)


def display_path(path: Path) -> str:
    """`path` relative to the working folder when it is inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else "."
