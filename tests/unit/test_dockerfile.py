"""The generated image trusts proxy headers only from FORWARDED_ALLOW_IPS."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import readme_production_command


def docker_command(project: Path) -> list[str]:
    """The Dockerfile's CMD, as a list of words."""
    dockerfile = (project / "Dockerfile").read_text()
    return json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[1])


def test_uvicorn_runs_with_proxy_headers_from_configured_addresses(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    command = docker_command(project)
    assert command[:2] == ["uvicorn", "app.main:app"]
    assert "--proxy-headers" in command
    # uvicorn reads FORWARDED_ALLOW_IPS itself; only the container trusts itself by default.
    assert "--forwarded-allow-ips" not in command
    assert re.search(r"^ENV FORWARDED_ALLOW_IPS=127\.0\.0\.1$", dockerfile, re.MULTILINE)
    assert "# FORWARDED_ALLOW_IPS=127.0.0.1" in (project / ".env.example").read_text()


def test_without_docker_the_server_setting_is_not_documented(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fastasync_cli.cli import app

    root = tmp_path / "plain"
    result = CliRunner().invoke(app, ["new", str(root), "--yes", "--no-docker"])
    assert result.exit_code == 0, result.output
    assert "FORWARDED_ALLOW_IPS" not in (root / ".env.example").read_text()


def test_uvicorn_serves_with_the_head_limiting_protocol_as_the_readme_says(
    project: Path,
) -> None:
    command = docker_command(project)
    http = command[command.index("--http") + 1]
    assert http == "app.server:HttpToolsProtocol"
    module, _, name = http.partition(":")
    assert f"\nclass {name}(" in (project / f"{module.replace('.', '/')}.py").read_text()
    assert readme_production_command(project) == command
    assert "MAX_HEADER_BYTES" in (project / ".env.example").read_text()


def test_the_image_has_the_migrations_where_the_app_starts(sqlite_project: Path) -> None:
    """The app checks at start-up that the database is at the migrations' head
    (app/db/revision.py): it finds Alembic's configuration in the folder it runs in."""
    dockerfile = (sqlite_project / "Dockerfile").read_text()
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    [workdir] = re.findall(r"^WORKDIR (\S+)$", runtime, re.MULTILINE)
    assert re.search(r"^COPY --chown=app pyproject\.toml \./$", runtime, re.MULTILINE)
    assert re.search(r"^COPY --chown=app migrations \./migrations$", runtime, re.MULTILINE)
    assert runtime.index(f"WORKDIR {workdir}") < runtime.index("COPY --chown=app pyproject")
    assert "[tool.alembic]" in (sqlite_project / "pyproject.toml").read_text()
