"""`fastasync check [PATH ...]`: find async mistakes in any FastAPI code base."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from fastasync_cli.cli import params
from fastasync_cli.cli.output import handle_errors


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders to check \\[default: the current folder].",
            show_default=False,
            # Ours to check: click's own refusal is a box, not `error:` and `hint:`.
            parser=params.path,
        ),
    ] = None,
    *,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="How findings are printed: `path:line:col: CODE message` (text), JSON, "
            "SARIF for code scanning, or GitHub Actions annotations.",
            case_sensitive=False,
        ),
    ] = Format.text,
    select: Annotated[
        list[str] | None,
        typer.Option(
            help="Comma-separated rule codes or prefixes to report (repeatable; replaces "
            "the configured `select`). \\[default: FA, every rule]",
            show_default=False,
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            help="Comma-separated rule codes or prefixes not to report (repeatable; added "
            "to the configured `ignore`).",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            help="A file or folder name, or a glob, to leave out (repeatable; added to "
            "the configured `exclude`).",
            show_default=False,
        ),
    ] = None,
    max_file_size: Annotated[
        str | None,
        typer.Option(
            metavar="SIZE",
            help="Larger files are reported and not checked: bytes, or a size such as "
            "20MB (replaces the configured `max-file-size`). \\[default: 10MB]",
            show_default=False,
        ),
    ] = None,
    statistics: Annotated[
        bool,
        typer.Option(
            "--statistics",
            help="Print how many findings each rule has, only (a table, or JSON with "
            "--format json).",
        ),
    ] = False,
    explain: Annotated[
        str | None,
        typer.Option(
            help="Describe a rule (what it finds, why it is bad, what to do instead) and exit.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    """Find async mistakes in any FastAPI code base, across modules.

    FA101 blocking call reached from `async def` (through helpers too);
    FA102 HTTP client created per request; FA103 synchronous database access;
    FA104 blocking Celery call; FA105 event loop inside a running one;
    FA106 CPU-heavy call; FA107 heavy background task.

    Silence a line with `# noqa: FA101`, a file with `# fastasync: noqa` (or
    `# fastasync: noqa: FA101`) on a line of its own. Configure in
    `\\[tool.fastasync.check]` of pyproject.toml: select, ignore, exclude,
    extra-blocking-calls, max-file-size.

    Exit 0: no findings; 1: findings; 2: bad usage, or input that cannot be read
    (the rest is still checked).
    """
    with handle_errors(verbose=verbose):
        import os
        import sys
        from dataclasses import replace

        from fastasync_cli.check import config, report
        from fastasync_cli.check.rules import RULES
        from fastasync_cli.errors import BadOptionError

        if statistics and output_format in (Format.sarif, Format.github):
            # Both are made of findings with places; counts have none. It printed
            # the text table, which a SARIF or annotation reader cannot take.
            raise BadOptionError(
                f"--statistics cannot be printed as {output_format.value}.",
                "Use --statistics alone (a table) or with --format json.",
            )
        if explain is not None:
            wanted = explain.strip()
            rule = RULES.get(wanted)
            if rule is None and wanted.upper() in RULES:
                # As `ruff rule f401` and --select do: `fa101` printed FA101's page.
                raise BadOptionError(
                    f"Unknown rule code `{explain}` in --explain: rule codes are "
                    "written in capitals.",
                    f"Write `{wanted.upper()}`.",
                )
            if rule is None:
                raise BadOptionError(
                    f"Unknown rule code `{explain}`.",
                    f"Rule codes are {', '.join(sorted(RULES))}.",
                )
            _write(rule.doc)
            return
        from fastasync_cli.check.files import absolute, readable

        try:
            os.getcwd()
        except FileNotFoundError:
            # Paths are shown relative to it: this was an "Unexpected FileNotFoundError".
            raise BadOptionError(
                "The current folder no longer exists (it was deleted or moved).",
                "Change to a folder that exists, and run the check again.",
            ) from None
        given = list(paths or [Path(".")])
        # A path that is missing or cannot be read is reported at the end, and the
        # others are checked (exit 2), as a file that cannot be read is.
        targets, unreadable = readable(given)
        # The configuration above the path as named, as in ruff: a symlinked folder
        # in the project takes the project's, not the one above its target.
        start = absolute((targets or given)[0])
        settings = config.load(config.find_pyproject(start if start.is_dir() else start.parent))
        # Repeated, as in ruff, they add up: only the last one counted.
        # Each value on its own, so an error quotes what was typed.
        if select is not None:
            chosen = tuple(code for text in select for code in config.parse_select(text))
            settings = replace(settings, select=chosen)
        if ignore is not None:
            codes = tuple(code for text in ignore for code in config.parse_codes(text, "--ignore"))
            settings = replace(settings, ignore=(*settings.ignore, *codes))
        if max_file_size is not None:
            size = config.parse_size(max_file_size, "--max-file-size", typed=True)
            settings = replace(settings, max_file_size=size)
        if exclude:
            config.check_patterns(exclude, "--exclude")
            settings = replace(settings, exclude=(*settings.exclude, *exclude))

        if settings.selects_nothing():
            # ruff runs silently then; "All checks passed!" alone would read as a clean bill.
            sys.stderr.write(
                "warning: No rule is selected (see `select` and `ignore`): only files that "
                "do not parse (FA001) are reported.\n"
            )

        from fastasync_cli.check.runner import run_check

        result = run_check(targets, settings)
        result = replace(result, errors=[*unreadable, *result.errors])
        for warning in result.warnings:
            sys.stderr.write(f"{report.lossy(warning)}\n")
        if not result.files and targets:
            # As ruff says it: "All checks passed!" alone would read as a clean bill.
            sys.stderr.write("warning: No Python files found under the given paths.\n")
        if statistics:
            _write(report.statistics(result.findings, output_format.value))
        elif result.findings or not result.errors or output_format != Format.text:
            # "All checks passed!" above the errors would read as a clean bill.
            _write(report.render(result.findings, output_format.value))
        if result.errors:
            # Files or folders that could not be read: the rest was checked.
            from fastasync_cli.cli.output import print_error

            for error in result.errors:
                print_error(error)
            raise typer.Exit(2)
        if result.findings:
            raise typer.Exit(1)


def _write(text: str) -> None:
    """Print the report. A reader that stopped reading (`| head -1`) is no error: the
    exit code is still the check's. A write that fails (a full disk) exits 2."""
    import sys

    from fastasync_cli.errors import BadOptionError

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
    except OSError as exc:
        _drop_stdout()
        raise BadOptionError(
            f"Cannot write the report: {exc.strerror or exc}.",
            "Send the output somewhere with room (a file on another disk, or a pipe).",
        ) from None


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush on the way out does not
    fail again ("Exception ignored ... BrokenPipeError")."""
    import os
    import sys

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no file descriptor (under a test runner)
        pass
