"""A non-editable install (what `pipx install` does) carries every template."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.conftest import run

REPO = Path(__file__).resolve().parents[2]


def test_a_wheel_install_generates_and_adds(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    run([*uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    # Not editable: hatchling builds a wheel, so only what ships in it is there. Like
    # pip and pipx, compile bytecode, which puts __pycache__ folders in the templates.
    run(
        [*uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", python, REPO],
        cwd=tmp_path,
    )
    fastasync = venv / "bin" / "fastasync"
    where = run(
        [
            python,
            "-c",
            "import fastasync_cli, pathlib; print(pathlib.Path(fastasync_cli.__file__))",
        ],
        cwd=tmp_path,
    )
    assert str(venv) in where
    assert run([fastasync, "--version"], cwd=tmp_path).startswith("fastasync ")
    run([fastasync, "new", "shop", "--yes"], cwd=tmp_path)
    root = tmp_path / "shop"
    assert (root / "app/main.py").is_file() and (root / "Dockerfile").is_file()
    assert not list(root.rglob("__pycache__"))
    run([fastasync, "add", "endpoint", "products", "price:float"], cwd=root)
    run([fastasync, "add", "client", "github", "--base-url", "https://api.github.com"], cwd=root)
    run([fastasync, "add", "task", "crunch", "--kind", "cpu"], cwd=root)
    assert (root / "app/api/routes/products.py").is_file()
    assert (root / "app/clients/github.py").is_file()
    assert (root / "app/tasks/crunch.py").is_file()


def test_fastasync_works_at_the_lower_bounds_of_its_dependencies(tmp_path: Path) -> None:
    """Its own ranges (typer, rich, jinja2, copier, libcst, tomlkit, ruamel.yaml, ruff)
    hold at their lower ends: what a user's older environment may resolve."""
    venv = tmp_path / "venv"
    uv = [sys.executable, "-m", "uv"]
    run([*uv, "venv", "--quiet", "--python", sys.executable, venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    install = [*uv, "pip", "install", "--quiet", "--python", python]
    run([*install, "--resolution", "lowest-direct", REPO], cwd=tmp_path)
    versions = run([*uv, "pip", "list", "--python", python], cwd=tmp_path)
    assert any(line.split()[:2] == ["typer", "0.29.0"] for line in versions.splitlines())
    fastasync = venv / "bin" / "fastasync"
    run([fastasync, "new", "shop", "--yes", "--no-docker", "--ci", "none"], cwd=tmp_path)
    root = tmp_path / "shop"
    run([fastasync, "add", "endpoint", "products", "name:str:unique", "price:float"], cwd=root)
    run([fastasync, "add", "client", "github", "--base-url", "https://api.github.com"], cwd=root)
    run([fastasync, "add", "task", "crunch", "--kind", "cpu"], cwd=root)
    run([fastasync, "add", "celery"], cwd=root)
    assert "All checks passed" in run([fastasync, "check", "."], cwd=root)
    # What the oldest ruff it accepts wrote, the newest ruff the project accepts keeps.
    ruff = Path(sys.executable).parent / "ruff"
    run([ruff, "check", "."], cwd=root)
    run([ruff, "format", "--check", "."], cwd=root)
