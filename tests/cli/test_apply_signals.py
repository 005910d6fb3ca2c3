"""Kill `add` and `new --force` at random moments: the old tree or the new one, nothing else.

Most signals land inside the write window: the test waits for the first staged
temporary file to appear, then signals at a random point of the window, which
`FASTASYNC_TEST_APPLY_DELAY` (a pause after staging and after committing each file)
widens. The rest land anywhere after start-up. The seed is printed (and shown in every
failure); rerun one with FASTASYNC_SIGNAL_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SEED = int(os.environ.get("FASTASYNC_SIGNAL_SEED") or random.SystemRandom().randrange(2**32))
TRIALS = int(os.environ.get("FASTASYNC_SIGNAL_TRIALS", "8"))
WINDOW = 0.5  # seconds the write window is widened to, spread over its files
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STRAY_MARKERS = (".fastasync-tmp", ".fastasync-backup")


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every folder (as None) under `root`."""
    if not root.exists():
        return {}
    tree: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        tree[rel] = None if path.is_dir() else path.read_bytes()
    return tree


def _staging_started(root: Path) -> bool:
    for _, _, files in os.walk(root):
        if any(name.endswith(".fastasync-tmp") for name in files):
            return True
    return False


@dataclass
class Outcome:
    signum: int
    returncode: int
    stderr: str
    where: str


def run_and_signal(
    command: list[str], watch: Path, writes: int, rng: random.Random, tmpdir: Path
) -> Outcome:
    delay = WINDOW / (2 * writes)  # paused after staging and after committing each file
    window = 1.1 * WINDOW
    env = {**os.environ, "FASTASYNC_TEST_APPLY_DELAY": f"{delay:.4f}", "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastasync_cli", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if rng.random() < 0.25:
        wait = rng.uniform(0.15, 1.5)
        time.sleep(wait)
        where = f"{wait:.3f} s after start"
    else:
        start = time.monotonic()
        while proc.poll() is None and not _staging_started(watch):
            time.sleep(0.004)
        wait = rng.uniform(0, window)
        time.sleep(wait)
        where = f"{wait:.3f} s into the write window ({time.monotonic() - start:.2f} s)"
    signum = rng.choice(SIGNALS)
    if proc.poll() is None:
        proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    return Outcome(signum, proc.returncode, stderr, where)


def check(
    outcome: Outcome,
    root: Path,
    old: dict[str, bytes | None],
    new: dict[str, bytes | None],
    tmpdir: Path,
    label: str,
) -> str:
    """Assert old-tree-or-new-tree and no stray files; return which tree it was."""
    context = f"{label}, seed {SEED}, signal {outcome.signum} {outcome.where}: {outcome.stderr!r}"
    assert "Traceback" not in outcome.stderr, context
    after = snapshot(root)
    strays = [name for name in after if any(m in name for m in STRAY_MARKERS)]
    assert strays == [], context
    assert list(tmpdir.iterdir()) == [], context
    assert after in (old, new), context
    state = "new" if after == new else "old"
    if outcome.returncode in (0, -outcome.signum):
        # Done; or done and killed while Python shut down (it restores the default
        # handlers as it exits): the work was complete either way.
        assert state == "new", context
    else:
        assert outcome.returncode == 128 + outcome.signum, context
        written = "after the changes were written" in outcome.stderr
        assert state == ("new" if written else "old"), context
    return state


def test_signals_during_add(pristine_project: Path, tmp_path: Path) -> None:
    print(f"signal test seed: {SEED}")
    rng = random.Random(SEED)
    command = ["add", "endpoint", "products", "name:str", "price:float"]
    reference = tmp_path / "reference"
    shutil.copytree(pristine_project, reference)
    old = snapshot(reference)
    done = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", *command, "--project", str(reference)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    new = snapshot(reference)
    writes = sum(1 for k in new if old.get(k, b"") != new[k] and new[k] is not None)
    states = []
    for trial in range(TRIALS):
        root = tmp_path / f"trial{trial}"
        shutil.copytree(pristine_project, root)
        tmpdir = tmp_path / f"tmp{trial}"
        tmpdir.mkdir()
        outcome = run_and_signal([*command, "--project", str(root)], root, writes, rng, tmpdir)
        states.append(check(outcome, root, old, new, tmpdir, f"add trial {trial}"))
    print(f"add: {states.count('old')} old trees, {states.count('new')} new trees")


def _user_folder(root: Path) -> None:
    """A folder `new --force` writes into: some files it replaces, some it leaves."""
    (root / "app").mkdir(parents=True)
    (root / "README.md").write_text("# my notes\n")
    (root / "app" / "main.py").write_text("print('mine')\n")
    (root / "notes.txt").write_text("keep me\n")


def test_signals_during_new_force(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    print(f"signal test seed: {SEED}")
    reference = tmp_path / "reference"
    _user_folder(reference)
    old = snapshot(reference)
    command = ["new", "--force", "--yes", "--name", "demo"]
    done = subprocess.run(
        [sys.executable, "-m", "fastasync_cli", *command, str(reference)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    new = snapshot(reference)
    writes = sum(1 for v in new.values() if v is not None) - 1  # notes.txt stays
    states = []
    for trial in range(max(1, TRIALS // 2)):
        root = tmp_path / f"trial{trial}"
        _user_folder(root)
        tmpdir = tmp_path / f"tmp{trial}"
        tmpdir.mkdir()
        outcome = run_and_signal([*command, str(root)], root, writes, rng, tmpdir)
        states.append(check(outcome, root, old, new, tmpdir, f"new trial {trial}"))
    print(f"new --force: {states.count('old')} old trees, {states.count('new')} new trees")
