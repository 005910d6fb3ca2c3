"""Several `add`s at once on one project: each lands whole or fails saying so."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

NAMES = ["alpha", "bravo", "charlie", "delta"]


def test_concurrent_adds_each_land_or_fail_loudly(pristine_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(pristine_project, root)
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "fastasync_cli", "add", "endpoint", name, "--project", root],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in NAMES
    }
    results = {name: (proc, *proc.communicate(timeout=300)) for name, proc in procs.items()}
    manifest = tomllib.loads((root / ".fastasync.toml").read_text())
    recorded = {c["name"] for c in manifest.get("components", [])}
    api_main = (root / "app/api/main.py").read_text()
    app_main = (root / "app/main.py").read_text()
    deps = (root / "app/api/deps.py").read_text()
    landed = []
    for name, (proc, stdout, stderr) in results.items():
        if proc.returncode == 0:
            # Exit 0 means every part of it is there: nothing lost to another run.
            assert name in recorded, (name, stdout, stderr)
            assert f"api_router.include_router({name}.router)" in api_main, name
            assert f"{name.capitalize()}Repository" in app_main + deps, name
            assert (root / f"app/api/routes/{name}.py").is_file(), name
            landed.append(name)
        else:
            # Otherwise: a message, and nothing of it written.
            # The lock makes them wait for each other; on a machine so loaded that one
            # waits longer than the lock's limit, it says so and writes nothing.
            assert proc.returncode == 1, (name, stderr)
            assert "error: Another fastasync command is still changing" in stderr, stderr
            assert name not in recorded, name
            assert not (root / f"app/api/routes/{name}.py").exists(), name
    assert landed, {name: r[2] for name, r in results.items()}
    strays = [p for p in root.rglob("*") if ".fastasync-" in p.name]
    assert strays == []
