"""How `--help` names things: `PATH` and `[FIELDS]...` in usage lines, no `<bool>` on flags.

Typer renders a required argument as `{path}` in the usage line and a flag's type as
`<bool>`; both read like placeholders the user must fill in. These command classes give
the usual Unix spelling instead.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _tidy(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # a flag takes no value: show no type
        elif isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper() + ("..." if param.nargs != 1 else "")
    return params


def _usage(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "").upper()
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))


class LineErrorsCommand(Command):
    """A usage error (`--format foo`, an unknown option) said as the command's other
    errors are: one `error:` line, one `hint:` line, exit 2. Click drew a box."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        import typer

        # Typer ships its own click: its UsageError is BadParameter's base class.
        usage_error = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "UsageError")
        try:
            return super().parse_args(ctx, args)
        except usage_error as exc:
            from fastasync_cli.cli.output import print_error
            from fastasync_cli.errors import BadOptionError

            message = " ".join(exc.format_message().split()).replace("Value error, ", "")
            hint = f"Run `{ctx.command_path} -h` for its arguments and options."
            print_error(BadOptionError(message, hint))
            raise typer.Exit(2) from None
