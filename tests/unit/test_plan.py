import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from fastasync_cli.engine import apply as apply_module
from fastasync_cli.engine.apply import apply
from fastasync_cli.engine.plan import Action, Plan, plan_file, plan_update
from fastasync_cli.errors import ConflictError, TargetError


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_plan_file_actions(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("a\n")
    (tmp_path / "other.txt").write_text("old\n")
    (tmp_path / "folder").mkdir()
    assert plan_file(tmp_path, "new.txt", "x").action is Action.CREATE
    assert plan_file(tmp_path, "same.txt", "a\n").action is Action.IDENTICAL
    assert plan_file(tmp_path, "other.txt", "new\n").action is Action.CONFLICT
    assert plan_file(tmp_path, "other.txt", "new\n", force=True).action is Action.OVERWRITE
    # Not a conflict: --force would not replace a folder, so it is refused, named.
    with pytest.raises(TargetError, match=r"^folder is a folder, where fastasync expects"):
        plan_file(tmp_path, "folder", "x", force=True)


def test_update_diff(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    change = plan_update(tmp_path, "a.py", "x = 1\ny = 2\n")
    assert change.action is Action.UPDATE
    assert change.diff().splitlines() == [
        "--- a/a.py",
        "+++ b/a.py",
        "@@ -1 +1,2 @@",
        " x = 1",
        "+y = 2",
    ]
    assert plan_update(tmp_path, "a.py", "x = 1\n").action is Action.IDENTICAL


def test_apply_writes_new_and_replaced_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    os.chmod(tmp_path / "keep.txt", 0o640)
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "deep/er/new.py", "new\n"))
    plan.add(plan_file(tmp_path, "script.sh", "#!/bin/sh\n", mode=0o755))
    plan.add(plan_file(tmp_path, "keep.txt", "theirs\n", force=True))
    apply(plan)
    assert _tree(tmp_path) == {
        "deep/er/new.py": "new\n",
        "keep.txt": "theirs\n",
        "script.sh": "#!/bin/sh\n",
    }
    assert stat.S_IMODE((tmp_path / "keep.txt").stat().st_mode) == 0o640
    assert (tmp_path / "script.sh").stat().st_mode & stat.S_IXUSR


def test_apply_refuses_conflicts_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("mine\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "a.txt", "a\n"))
    plan.add(plan_file(tmp_path, "mine.txt", "theirs\n"))
    with pytest.raises(ConflictError) as caught:
        apply(plan)
    assert caught.value.message == "These files exist with other content: mine.txt."
    assert _tree(tmp_path) == {"mine.txt": "mine\n"}


def _fail_on_commit(
    monkeypatch: pytest.MonkeyPatch, when: Callable[[int, str], bool], failure: BaseException
) -> None:
    """Make the n-th rename or link of a staged file into place raise `failure`."""
    real = {"link": os.link, "replace": os.replace}
    calls: list[str] = []

    def wrap(name: str) -> Callable[[str, str], None]:
        def step(src: str, dst: str) -> None:
            if not str(dst).endswith(apply_module.BACKUP_SUFFIX):
                calls.append(str(dst))
                if when(len(calls), str(dst)):
                    raise failure
            real[name](src, dst)

        return step

    monkeypatch.setattr(apply_module.os, "link", wrap("link"))
    monkeypatch.setattr(apply_module.os, "replace", wrap("replace"))


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_failure_part_way_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    (tmp_path / "existing.txt").write_text("original\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "existing.txt", "replaced\n", force=True))
    plan.add(plan_file(tmp_path, "sub/one.txt", "1\n"))
    plan.add(plan_file(tmp_path, "sub/two.txt", "2\n"))
    _fail_on_commit(monkeypatch, lambda n, _: n == 3, failure)
    with pytest.raises((KeyboardInterrupt, apply_module.TargetError)) as caught:
        apply(plan)
    monkeypatch.undo()
    if isinstance(failure, OSError):
        assert caught.value.hint.startswith("Nothing was changed.")
    assert _tree(tmp_path) == {"existing.txt": "original\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]


def test_failure_removes_a_root_it_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "a" / "project"
    plan = Plan(root=root, creates_root=True)
    plan.add(plan_file(root, "one.txt", "1\n"))
    plan.add(plan_file(root, "x/two.txt", "2\n"))
    _fail_on_commit(monkeypatch, lambda _, dst: dst.endswith("two.txt"), KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        apply(plan)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_appears_after_planning_is_not_clobbered(tmp_path: Path) -> None:
    plan = Plan(root=tmp_path)
    plan.add(plan_file(tmp_path, "late.txt", "ours\n"))
    plan.add(plan_file(tmp_path, "early.txt", "ours\n"))
    (tmp_path / "late.txt").write_text("theirs\n")
    with pytest.raises(ConflictError):
        apply(plan)
    assert _tree(tmp_path) == {"late.txt": "theirs\n"}


def test_a_path_is_planned_once() -> None:
    plan = Plan(root=Path("."))
    plan.add(plan_file(Path("/nonexistent"), "a", "1"))
    with pytest.raises(ValueError, match="planned twice"):
        plan.add(plan_file(Path("/nonexistent"), PurePosixPath("a"), "2"))


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        ({"a.py": b"x = 1\r\ny = 2\r\n", "b.toml": b"k = 1\r\n"}, b"one\r\ntwo\r\n"),
        # One file read with LF: a mixed project keeps LF.
        ({"a.py": b"x = 1\r\ny = 2\r\n", "b.toml": b"k = 1\n"}, b"one\ntwo\n"),
        # Files without a line ending, or not text, say nothing either way.
        ({"a.py": b"x = 1\r\n", "empty.py": b"", "logo.png": b"\x89PNG\0\n\n"}, b"one\r\ntwo\r\n"),
        ({"empty.py": b"", "line.py": b"x = 1"}, b"one\ntwo\n"),
    ],
)
def test_created_files_follow_the_line_ending_of_the_files_read(
    tmp_path: Path, edited: dict[str, bytes], expected: bytes
) -> None:
    plan = Plan(root=tmp_path)
    for name, data in edited.items():
        (tmp_path / name).write_bytes(data)
        plan.add(plan_file(tmp_path, name, "changed\n", force=True))
    plan.add(plan_file(tmp_path, "new.py", "one\ntwo\n"))
    plan.follow_line_endings()
    apply(plan)
    assert (tmp_path / "new.py").read_bytes() == expected
