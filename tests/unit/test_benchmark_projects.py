"""The projects the benchmarks generate start: each is migrated where it is served."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import _generated

    return _generated


def test_a_default_project_gets_its_sqlite_database_migrated(
    generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    root = generated.generate(tmp_path / "shop")
    with sqlite3.connect(root / "data" / "app.sqlite3") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert {"alembic_version", "jobs"} <= tables


def test_a_project_for_another_database_is_left_for_its_caller_to_migrate(
    generated, tmp_path: Path
) -> None:
    # No PostgreSQL runs at the default URL: migrating here would fail.
    root = generated.generate_with_endpoint(
        tmp_path / "shop", db="postgres", endpoint=["items", "name:str"]
    )
    assert (root / "app" / "models" / "items.py").is_file()
    assert not (root / "data").exists()


def test_the_client_benchmark_adds_its_client_and_route_to_a_new_project(
    generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    root = generated.generate(tmp_path / "shop")
    generated.add_bench_client(root)
    generated.add_cpu_task(root)
    listing = (
        "from app.main import create_app\n"
        "print(sorted(getattr(r, 'path', '') for r in create_app().routes))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", listing], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "/bench/call" in result.stdout


def test_the_layer_benchmark_still_finds_the_text_it_edits(generated, tmp_path: Path) -> None:
    # db_layers.py edits copies of a generated project; a template change under its
    # anchors should fail here, not in the middle of a benchmark run.
    import db_layers

    root = generated.generate_with_endpoint(
        tmp_path / "shop", db="postgres", endpoint=["items", "name:str", "price:float"]
    )
    copies = db_layers.layered_copies(root)
    assert list(copies) == list(db_layers.LAYERS)
    raw = copies["raw-driver"]
    assert "driver_connection.fetchrow(" in (raw / "app/repositories/items.py").read_text()
    assert "read_engine.connect()" in (raw / "app/api/deps.py").read_text()
    assert (
        "add_middleware(app, settings)\n    return app" not in (raw / "app" / "main.py").read_text()
    )
    for path in copies.values():  # every copy still compiles
        result = subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "app"],
            cwd=path, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
