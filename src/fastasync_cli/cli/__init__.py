"""The `fastasync` command's entry point: signals first, then everything else.

Ctrl-C, SIGTERM and SIGHUP get their handlers before Typer, Rich and the commands are
imported (that takes the first tens of milliseconds), so an interrupt at any moment ends
with one line and the conventional exit code, never a traceback.
"""


def main() -> None:
    """Console-script entry point."""
    import _signal  # the C module: ready in microseconds, unlike `signal` (enum)

    early: list[int] = []
    for signum in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
        if _signal.getsignal(signum) is not _signal.SIG_IGN:
            _signal.signal(signum, lambda signum, frame: early.append(signum))
    import sys

    from fastasync_cli import interrupts

    interrupts.install()
    # Under an ASCII locale Python decodes arguments as bytes in disguise (surrogates);
    # names and defaults are UTF-8 text whatever LANG says.
    sys.argv = [_utf8(arg) for arg in sys.argv]
    try:
        if early:
            raise interrupts.Interrupted(early[0])
        from fastasync_cli.cli.root import run

        run()
    except interrupts.Interrupted as exc:
        interrupts.early_exit(exc)
    finally:
        interrupts.hold_from_now()


def _utf8(arg: str) -> str:
    import os

    try:
        return os.fsencode(arg).decode("utf-8")
    except UnicodeDecodeError:
        return arg


def __getattr__(name: str) -> object:
    # `from fastasync_cli.cli import app` (tests, typer's own tooling) loads the app.
    if name == "app":
        from fastasync_cli.cli.root import app

        return app
    raise AttributeError(name)
