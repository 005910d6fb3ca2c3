"""The file-bytes layer: what the edit code sees, and what apply writes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastasync_cli.engine.apply import apply
from fastasync_cli.engine.fileio import BOM, decode, read_text_file
from fastasync_cli.engine.plan import Action, Plan, plan_file, plan_update
from fastasync_cli.errors import TargetError


def test_crlf_and_bom_are_hidden_from_the_edit_and_kept_on_write(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(BOM + b"import os\r\n\r\nx = 1\r\n")
    source = read_text_file(tmp_path, "a.py")
    assert source is not None
    assert (source.text, source.bom, source.newline) == ("import os\n\nx = 1\n", True, "\r\n")
    plan = Plan(root=tmp_path)
    plan.add(plan_update(tmp_path, "a.py", "import os\nimport sys\n\nx = 1\n", source=source))
    apply(plan)
    assert (tmp_path / "a.py").read_bytes() == BOM + b"import os\r\nimport sys\r\n\r\nx = 1\r\n"


def test_unchanged_lines_keep_their_own_endings_in_a_mixed_file() -> None:
    raw = b"a\r\nb\nc\r\nd"  # mostly CRLF, one LF line, no newline at the end
    source = decode(raw, "mixed.txt")
    assert source.text == "a\nb\nc\nd"
    assert source.encode("a\nb\nnew\nc\nd") == b"a\r\nb\nnew\r\nc\r\nd"
    assert source.encode(source.text) == raw


def test_an_lf_file_stays_lf_and_non_ascii_round_trips() -> None:
    raw = "name = 'café'\n# ünïcode ✓\n".encode()
    source = decode(raw, "u.py")
    assert source.newline == "\n"
    assert source.encode(source.text + "z = 'ß'\n") == raw + "z = 'ß'\n".encode()


def test_identical_content_in_another_line_ending_is_identical(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    assert plan_update(tmp_path, "a.txt", "one\ntwo\n").action is Action.IDENTICAL


def test_a_dry_run_diff_shows_line_endings(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"one\r\n")
    change = plan_update(tmp_path, "a.txt", "one\ntwo\n")
    # The added line takes the file's CRLF, and the diff says so rather than hide it.
    assert change.new_bytes == b"one\r\ntwo\r\n"
    assert change.diff().splitlines()[-2:] == [" one\\r", "+two\\r"]


def test_a_latin1_file_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_bytes(b"x = 'caf\xe9'\n")
    with pytest.raises(TargetError) as caught:
        read_text_file(tmp_path, "app/main.py")
    assert caught.value.message == (
        "app/main.py is not UTF-8 text (byte 0xe9 at offset 8), so fastasync cannot edit it safely."
    )
    assert "iconv -f latin1 -t utf-8 app/main.py" in caught.value.hint


def test_an_unreadable_file_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret.py").write_text("x = 1\n")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # chmod 000 does not stop root, who runs these tests in containers.
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(TargetError) as caught:
        read_text_file(tmp_path, "secret.py")
    assert caught.value.message == "Cannot read secret.py: permission denied."


@pytest.mark.parametrize("in_the_way", ["app", "app/tasks"])
def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path, in_the_way: str) -> None:
    """It said "Cannot read app/tasks/report.py: Not a directory" and to fix that file."""
    (tmp_path / in_the_way).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / in_the_way).write_text("")
    with pytest.raises(TargetError) as caught:
        plan_file(tmp_path, "app/tasks/report.py", "x = 1\n")
    assert caught.value.message == f"{in_the_way} is a file, where fastasync expects a folder."
    assert caught.value.hint == (
        "Nothing was written. Move the file out of the way, then run the command again."
    )


def test_an_overwrite_keeps_the_files_line_endings(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x = 1\r\ny = 1\r\n")
    change = plan_file(tmp_path, "a.py", "x = 1\ny = 2\n", force=True)
    assert change.action is Action.OVERWRITE
    assert change.new_bytes == b"x = 1\r\ny = 2\r\n"
