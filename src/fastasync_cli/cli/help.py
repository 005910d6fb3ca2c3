"""How commands speak: `PATH` and `[FIELDS]...` in usage lines, no `<bool>` on flags,
usage errors as one `error:` line and one `hint:` line.

Typer renders a required argument as `{path}` in the usage line and a flag's type as
`<bool>`; both read like placeholders the user must fill in. These command classes give
the usual Unix spelling instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

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


def _usage_error_class() -> type[Exception]:
    import typer

    # Typer ships its own click: its UsageError is BadParameter's base class.
    return next(k for k in typer.BadParameter.__mro__ if k.__name__ == "UsageError")


def _say_usage_error(ctx: Any, exc: Exception, what: str = "arguments") -> NoReturn:
    """A usage error (`--db foo`, an unknown option or command) said as the other
    errors are: one `error:` line, one `hint:` line, exit 2. Click drew a box.

    A command given no arguments (`fastasync`, `fastasync add endpoint`) raises a
    usage error too, after its help is printed: that one stays click's (the help,
    exit 2), not followed by an empty `error:` line."""
    import typer

    # Typer's own click's class, found by name as in `_usage_error_class`.
    if type(exc).__name__ == "NoArgsIsHelpError":
        raise exc

    from fastasync_cli.cli.output import print_error
    from fastasync_cli.errors import BadOptionError

    text = exc.format_message()  # type: ignore[attr-defined]
    message = " ".join(text.split()).replace("Value error, ", "")
    hint = f"Run `{ctx.command_path} -h` for its {what} and options."
    print_error(BadOptionError(message, hint))
    raise typer.Exit(2) from None


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except _usage_error_class() as exc:
            _say_usage_error(ctx, exc)


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except _usage_error_class() as exc:
            _say_usage_error(ctx, exc, "commands")

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except _usage_error_class() as exc:
            _say_usage_error(ctx, exc, "commands")
