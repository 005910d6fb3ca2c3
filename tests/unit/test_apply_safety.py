"""Apply's guarantees: modes, owners, symlinks, the tree read, locks and rollback."""

from __future__ import annotations

import errno
import os
import signal
import stat
import threading
from pathlib import Path, PurePosixPath

import pytest

from fastasync_cli import interrupts
from fastasync_cli.engine import apply as apply_module
from fastasync_cli.engine.apply import RollbackError, apply
from fastasync_cli.engine.lock import project_lock
from fastasync_cli.engine.plan import Action, FileChange, Plan, plan_file, plan_update
from fastasync_cli.errors import ConflictError, TargetError


def _names(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_mode_and_owner_of_an_edited_file_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    target.chmod(0o640)
    owner = (1234, 2345) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        os.chown(target, *owner)
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
    apply(plan)
    status = target.stat()
    assert stat.S_IMODE(status.st_mode) == 0o640
    assert (status.st_uid, status.st_gid) == owner
    assert target.read_text() == "x = 2\n"


def test_a_read_only_file_is_refused_even_for_root(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    target.chmod(0o444)
    with pytest.raises(TargetError) as caught:
        plan_update(tmp_path, "a.py", "x = 2\n")
    assert caught.value.message == (
        "a.py is read-only (mode 0444), so fastasync will not change it."
    )
    # Made read-only between planning and applying: refused then too.
    target.chmod(0o644)
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
    target.chmod(0o444)
    with pytest.raises(TargetError):
        apply(plan)
    assert target.read_text() == "x = 1\n"


def test_a_symlink_inside_the_project_is_edited_at_its_target(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to("real.py")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "link.py", "x = 2\n"))
    apply(plan)
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "real.py").read_text() == "x = 2\n"


def test_a_symlinked_file_leading_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "link.py").symlink_to(outside)
    with pytest.raises(TargetError) as caught:
        plan_update(root, "link.py", "x = 2\n")
    assert caught.value.message.startswith("link.py leads outside the project")
    assert outside.read_text() == "x = 1\n"


def test_a_link_to_nothing_made_where_a_file_is_created_after_planning_is_refused(
    tmp_path: Path,
) -> None:
    """Apply checked the link's target was absent, and wrote through it."""
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "new.py", "x = 1\n"))
    (tmp_path / "new.py").symlink_to("gone.py")
    with pytest.raises(ConflictError, match=r"new\.py changed while fastasync was planning"):
        apply(plan)
    assert _names(tmp_path) == ["new.py"]
    with pytest.raises(TargetError, match=r"new\.py, a file fastasync creates, is a symbolic"):
        plan_file(tmp_path, "new.py", "x = 1\n")


def test_a_file_replaced_by_a_looping_link_after_planning_is_named(tmp_path: Path) -> None:
    """Path.resolve raised RuntimeError ("Unexpected RuntimeError" for the user)."""
    (tmp_path / "a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
    (tmp_path / "a.py").unlink()
    (tmp_path / "a.py").symlink_to("a.py")
    with pytest.raises(TargetError) as caught:
        apply(plan)
    assert caught.value.message == "a.py is a symbolic link that loops (a.py)."
    assert _names(tmp_path) == ["a.py"]


def test_a_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "project"
    root.mkdir()
    (root / "app").symlink_to(outside)
    with pytest.raises(TargetError):
        plan_file(root, "app/new.py", "x = 1\n")
    # Linked after planning: apply refuses it before writing anything.
    (root / "app").unlink()
    plan = Plan(root=root)
    plan.add(plan_file(root, "app/new.py", "x = 1\n"))
    plan.add(plan_file(root, "first.py", "y = 1\n"))
    (root / "app").symlink_to(outside)
    with pytest.raises(TargetError):
        apply(plan)
    assert list(outside.iterdir()) == []
    assert _names(root) == ["app"]


def test_a_file_changed_after_planning_stops_everything(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "new.py", "n = 1\n"))
    plan.add(plan_update(tmp_path, "a.py", "x = 1\ny = 2\n"))
    (tmp_path / "a.py").write_text("x = 1\nsaved = 'by an editor'\n")
    with pytest.raises(ConflictError) as caught:
        apply(plan)
    assert caught.value.message.startswith("a.py changed while fastasync was planning")
    assert caught.value.hint == "Nothing was written. Run the command again."
    assert _names(tmp_path) == ["a.py"]
    assert (tmp_path / "a.py").read_text() == "x = 1\nsaved = 'by an editor'\n"


def test_a_file_read_but_left_identical_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text("a = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "manifest.toml", "a = 1\n"))
    plan.add(plan_file(tmp_path, "new.py", "n = 1\n"))
    (tmp_path / "manifest.toml").write_text("a = 2\n")
    with pytest.raises(ConflictError):
        apply(plan)
    assert not (tmp_path / "new.py").exists()


def test_a_file_skipped_for_what_it_held_is_checked_too(tmp_path: Path) -> None:
    # add endpoint keeps the user's app/schemas/types.py because it defines what the
    # new schema module imports: it must still do so when the plan is written.
    (tmp_path / "types.py").write_text("Int64 = int\n")
    plan = Plan(root=tmp_path)
    plan.add(FileChange(PurePosixPath("types.py"), Action.SKIP, read=b"Int64 = int\n"))
    plan.add(plan_file(tmp_path, "new.py", "from types import Int64\n"))
    (tmp_path / "types.py").write_text("Slug = str\n")
    with pytest.raises(ConflictError) as caught:
        apply(plan)
    assert caught.value.message.startswith("types.py changed while fastasync was planning")
    assert not (tmp_path / "new.py").exists()


def test_a_failed_rollback_says_what_was_and_was_not_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("one.py", "two.py", "three.py"):
        (tmp_path / name).write_text(f"old {name}\n")
    plan = Plan(root=tmp_path)
    for name in ("one.py", "two.py", "three.py"):
        plan.add(plan_update(tmp_path, name, f"new {name}\n"))
    real_replace = os.replace

    def failing(src: str, dst: str) -> None:
        if str(dst).endswith("three.py") and not str(src).endswith(apply_module.BACKUP_SUFFIX):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        if str(src).endswith(apply_module.BACKUP_SUFFIX) and str(dst).endswith("one.py"):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(apply_module.os, "replace", failing)
    with pytest.raises(RollbackError) as caught:
        apply(plan)
    monkeypatch.undo()
    error = caught.value
    assert "one.py: Not a directory (its old content is in " in error.message
    assert error.hint.startswith("Restored: two.py.")
    assert "Nothing was changed" not in error.message + error.hint
    backup = next(tmp_path.glob(".one.py.*" + apply_module.BACKUP_SUFFIX))
    assert backup.read_text() == "old one.py\n"
    assert (tmp_path / "two.py").read_text() == "old two.py\n"
    assert (tmp_path / "three.py").read_text() == "old three.py\n"


def test_a_second_lock_waits_then_fails_clearly(tmp_path: Path) -> None:
    told: list[bool] = []
    with project_lock(tmp_path), pytest.raises(TargetError) as caught:  # noqa: SIM117
        with project_lock(tmp_path, wait=0.2, on_wait=lambda: told.append(True)):
            pass
    assert told == [True]
    assert caught.value.message.startswith("Another fastasync command is still changing")
    assert list(tmp_path.iterdir()) == []  # no lock file


def test_a_lock_is_handed_over_when_released(tmp_path: Path) -> None:
    order: list[str] = []
    released = threading.Event()

    def second() -> None:
        with project_lock(tmp_path, wait=10):
            order.append("second")

    with project_lock(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        released.wait(0.2)
        order.append("first")
    thread.join()
    assert order == ["first", "second"]


def test_a_signal_during_apply_is_held_until_the_tree_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    interrupts.install()
    try:
        (tmp_path / "a.py").write_text("x = 1\n")
        plan = Plan(root=tmp_path)
        plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
        plan.add(plan_file(tmp_path, "b.py", "b = 1\n"))
        real_link = os.link

        def signalled_mid_commit(src: str, dst: str) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            real_link(src, dst)

        # SIGTERM lands while committing: the commit finishes, then it is raised.
        monkeypatch.setattr(apply_module.os, "link", signalled_mid_commit)
        with pytest.raises(interrupts.Interrupted) as caught:
            apply(plan)
        assert caught.value.exit_code == 143
        assert interrupts.written()
        assert (tmp_path / "a.py").read_text() == "x = 2\n"
        assert _names(tmp_path) == ["a.py", "b.py"]
    finally:
        interrupts.mark_written(False)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_signal_while_staging_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    previous = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    interrupts.install()
    interrupts.mark_written(False)  # an earlier test's apply in this process set it
    try:
        (tmp_path / "a.py").write_text("x = 1\n")
        plan = Plan(root=tmp_path)
        plan.add(plan_file(tmp_path, "sub/b.py", "b = 1\n"))
        plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
        real_fchmod = os.fchmod

        def hup_while_staging(fd: int, mode: int) -> None:
            os.kill(os.getpid(), signal.SIGHUP)
            real_fchmod(fd, mode)

        monkeypatch.setattr(apply_module.os, "fchmod", hup_while_staging)
        with pytest.raises(interrupts.Interrupted) as caught:
            apply(plan)
        assert caught.value.exit_code == 129
        assert not interrupts.written()
        assert _names(tmp_path) == ["a.py"]
        assert (tmp_path / "a.py").read_text() == "x = 1\n"
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_file_that_became_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
    (tmp_path / "a.py").unlink()
    (tmp_path / "a.py").mkdir()
    with pytest.raises(TargetError) as caught:
        apply(plan)
    assert caught.value.message == "a.py is a folder, where fastasync expects a file."


def test_a_read_only_folder_is_refused_even_for_root(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "app/new.py", "x = 1\n"))
    (tmp_path / "app").chmod(0o555)
    try:
        with pytest.raises(TargetError) as caught:
            apply(plan)
    finally:
        (tmp_path / "app").chmod(0o755)
    assert caught.value.message == (
        "The folder app is read-only (mode 0555), so fastasync will not write in it."
    )
    assert _names(tmp_path) == ["app"]


def test_hard_linked_files_are_refused_all_named_and_nothing_written(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (root / name).write_text("x = 1\n")
    # a.py shares its file with a name outside the project, b.py with two inside it.
    os.link(root / "a.py", tmp_path / "elsewhere.py")
    os.link(root / "b.py", root / "b_copy.py")
    os.link(root / "b.py", root / "b_again.py")
    plan = Plan(root=root)
    for name in ("a.py", "b.py", "c.py"):
        plan.add(plan_update(root, name, "x = 2\n"))
    plan.add(plan_file(root, "new.py", "y = 1\n"))

    with pytest.raises(TargetError) as caught:
        apply(plan)

    assert caught.value.exit_code == 1
    assert caught.value.message == (
        "a.py (1 other name), b.py (2 other names) have other hard links, so fastasync "
        "will not change them: replacing them would cut them off from those names, and "
        "writing into them would change those too."
    )
    assert caught.value.hint.startswith(
        "Nothing was written. Give each a copy of its own (cp -p a.py a.py.own && "
        "mv a.py.own a.py), then run the command again"
    )
    assert {p.name: p.read_text() for p in root.iterdir()} == {
        "a.py": "x = 1\n",
        "b.py": "x = 1\n",
        "b_copy.py": "x = 1\n",
        "b_again.py": "x = 1\n",
        "c.py": "x = 1\n",
    }
    assert (root / "a.py").stat().st_nlink == 2


def test_a_hard_linked_file_given_its_own_copy_as_the_hint_says_is_edited(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    os.link(tmp_path / "a.py", tmp_path / "snapshot.py")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))
    with pytest.raises(TargetError) as caught:
        apply(plan)
    assert caught.value.message.startswith("a.py (1 other name) has other hard links")
    assert "Give it a copy of its own" in caught.value.hint

    (tmp_path / "a.own").write_bytes((tmp_path / "a.py").read_bytes())
    (tmp_path / "a.own").replace(tmp_path / "a.py")
    apply(plan)

    assert (tmp_path / "a.py").read_text() == "x = 2\n"
    assert (tmp_path / "snapshot.py").read_text() == "x = 1\n"


def test_a_backup_left_by_a_killed_run_is_not_another_name(tmp_path: Path) -> None:
    # A run killed between linking the backup and renaming over the file leaves this.
    (tmp_path / "a.py").write_text("x = 1\n")
    os.link(tmp_path / "a.py", tmp_path / f".a.py.0{apply_module.BACKUP_SUFFIX}")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "x = 2\n"))

    apply(plan)

    assert (tmp_path / "a.py").read_text() == "x = 2\n"


def _chattr(flag: str, path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("chattr") is None:
        pytest.skip("no chattr here")
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot chattr {flag} here: {done.stderr.strip()}")


@pytest.mark.parametrize(
    ("flag", "where", "message"),
    [
        ("+i", "app/a.py", "app/a.py is immutable (chattr +i), so fastasync will not change it."),
        ("+a", "app/a.py", "app/a.py is append-only (chattr +a), so fastasync will not change it."),
        (
            "+i",
            "app",
            "The folder app is immutable (chattr +i), so fastasync will not write in it.",
        ),
    ],
)
def test_an_immutable_or_append_only_file_or_folder_is_refused_by_name(
    tmp_path: Path, flag: str, where: str, message: str
) -> None:
    """Root may write a file whose mode forbids it, but not one marked immutable or
    append-only: the write failed part-way, naming a temporary file that the rollback
    had removed, and blamed 'the folder's permissions and free space'."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app/a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "app/a.py", "x = 2\n"))
    _chattr(flag, tmp_path / where)
    try:
        with pytest.raises(TargetError) as caught:
            apply(plan)
    finally:
        _chattr(flag.replace("+", "-"), tmp_path / where)
    assert caught.value.message == message
    assert _names(tmp_path) == ["app", "app/a.py"]
    assert (tmp_path / "app/a.py").read_text() == "x = 1\n"


def test_a_failed_write_names_the_project_s_file_not_a_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "app/a.py", "x = 2\n"))

    def refuse(source: str, target: str) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO), source)

    monkeypatch.setattr(apply_module.os, "replace", refuse)
    with pytest.raises(TargetError) as caught:
        apply(plan)
    assert caught.value.message == f"Could not write app/a.py: {os.strerror(errno.EIO)}."
    assert _names(tmp_path) == ["app", "app/a.py"]


def test_a_file_on_a_read_only_mount_is_refused_by_name(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "app").mkdir()
    (tmp_path / "app/a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "app/a.py", "x = 2\n"))
    folder = str(tmp_path / "app")
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", folder, folder], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a folder read-only here: {mounted.stderr.strip()}")
    try:
        with pytest.raises(TargetError) as caught:
            apply(plan)
    finally:
        subprocess.run(["umount", folder], check=True)
    assert caught.value.message == (
        "The folder app is on a read-only file system, so fastasync will not write in it."
    )


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        (
            errno.ENOSPC,
            "the disk is full",
            "Nothing was changed. Free some space on it, then run again.",
        ),
        (
            errno.EROFS,
            "the file system is read-only",
            "Nothing was changed. Remount it writable, or work on a copy on a writable "
            "file system, then run again.",
        ),
        (
            errno.EACCES,
            "permission denied",
            "Nothing was changed. Make the folder writable for you (ls -ld shows its "
            "owner and mode), then run again.",
        ),
        (
            errno.ENAMETOOLONG,
            "a name in its path is too long for the file system",
            "Nothing was changed. Choose a shorter name, or a folder nearer the root, "
            "then run again.",
        ),
    ],
)
def test_a_failed_write_says_what_the_error_means_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, message: str, hint: str
) -> None:
    """Every OS error got "Check the folder's permissions and free space", a disk
    full and a read-only file system alike."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app/a.py").write_text("x = 1\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "app/a.py", "x = 2\n"))

    def refuse(source: str, target: str) -> None:
        raise OSError(code, os.strerror(code), source)

    monkeypatch.setattr(apply_module.os, "replace", refuse)
    with pytest.raises(TargetError) as caught:
        apply(plan)
    assert (caught.value.message, caught.value.hint) == (
        f"Could not write app/a.py: {message}.",
        hint,
    )
    assert _names(tmp_path) == ["app", "app/a.py"]
