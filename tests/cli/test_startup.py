"""`--help` stays as light as a bare Typer app: no Copier, Jinja or libcst loaded."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["copier", "jinja2", "libcst", "tomlkit", "ruamel", "fastasync_cli.engine.render"]


def loaded_modules(*args: str) -> set[str]:
    script = (
        "import json, sys\n"
        f"sys.argv = ['fastasync', *{list(args)!r}]\n"
        "from fastasync_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stderr))


def test_help_imports_nothing_a_command_needs() -> None:
    for args in (["--help"], ["new", "--help"], ["add", "endpoint", "--help"], ["--version"]):
        modules = loaded_modules(*args)
        heavy = {m for m in modules for h in HEAVY if m == h or m.startswith(f"{h}.")}
        assert not heavy, (args, heavy)
