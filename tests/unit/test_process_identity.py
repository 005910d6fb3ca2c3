"""Whether a journal's writer still runs: its pid, start time and boot (`process_identity`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastasync_cli.engine import process_identity
from fastasync_cli.engine.process_identity import (
    ProcessIdentity,
    ProcessStatus,
    boot_id,
    gone,
    parse_stat,
    this_process,
)

linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")


def _stat_line(pid: int, comm: bytes, state: bytes, start: int) -> bytes:
    # Fields 4 to 21 and 23 onwards as Linux writes them (values do not matter here).
    middle = b" ".join([b"1"] * 18)
    return b"%d (%s) %s %s %d 3133440 380\n" % (pid, comm, state, middle, start)


@pytest.mark.parametrize(
    "comm",
    [b"python3", b"my prog", b"a) R 1 2 (b", b"x)", b"(", b"new\nline) Z"],
)
def test_the_fields_count_from_the_last_parenthesis(comm: bytes) -> None:
    """A program's name may hold spaces, ")" and even a newline: counting fields from
    the first ")" would read the state and the start time out of the name."""
    assert parse_stat(_stat_line(42, comm, b"S", 2453979)) == ProcessStatus("S", 2453979)


def test_a_real_stat_line_is_read() -> None:
    raw = (
        b"17861 (cat) R 17859 17859 1624 0 -1 4194304 97 0 1 0 0 0 0 0 20 0 1 0 2453979 "
        b"3133440 380 18446744073709551615 94630759665664"
    )
    assert parse_stat(raw) == ProcessStatus("R", 2453979)


@pytest.mark.parametrize(
    "raw", [b"", b"17861 cat R 1", b"17861 (cat) R 1 2 3", b"1 (x) R" + b" a" * 30]
)
def test_a_malformed_stat_line_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_stat(raw)


@linux
def test_this_process_records_its_start_time_and_boot() -> None:
    me = this_process()
    assert me.pid == os.getpid()
    assert me.start == parse_stat(Path(f"/proc/{os.getpid()}/stat").read_bytes()).start
    assert me.boot is not None and me.boot == boot_id()
    assert not gone(me)


@pytest.fixture
def sleeper() -> Iterator[ProcessIdentity]:
    """A live process, and its identity as a journal would record it."""
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            stat = Path(f"/proc/{child.pid}/stat")
            start = parse_stat(stat.read_bytes()).start if stat.exists() else None
            yield ProcessIdentity(child.pid, start=start, boot=boot_id())
        finally:
            child.kill()


@linux
def test_a_live_process_with_the_recorded_start_time_is_the_writer(
    sleeper: ProcessIdentity,
) -> None:
    assert not gone(sleeper)


@linux
def test_a_reused_pid_is_not_the_writer(sleeper: ProcessIdentity) -> None:
    """Another process now has the writer's id: it started at another time."""
    assert sleeper.start is not None
    assert gone(ProcessIdentity(sleeper.pid, start=sleeper.start - 1, boot=sleeper.boot))


@linux
def test_a_writer_of_another_boot_is_gone(sleeper: ProcessIdentity) -> None:
    """After a reboot the ids start low again: a journal of the last boot is dead
    whichever process has its id now."""
    before_reboot = ProcessIdentity(sleeper.pid, start=sleeper.start, boot="another boot")
    assert gone(before_reboot)


@linux
def test_this_pid_with_another_start_time_is_gone() -> None:
    """In a container fastasync may be process 1 every time: its own pid in a journal
    is a killed run's when the start time differs."""
    me = this_process()
    assert me.start is not None
    assert gone(ProcessIdentity(me.pid, start=me.start + 1, boot=me.boot))


def test_a_writer_recorded_by_pid_alone_is_alive_while_the_pid_is(
    sleeper: ProcessIdentity,
) -> None:
    """A journal from before start times were recorded: the pid alone decides, and a
    live process with it (reused or not) keeps the journal."""
    assert not gone(ProcessIdentity(sleeper.pid))
    assert not gone(ProcessIdentity(os.getpid()))


def test_a_pid_no_process_has_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert gone(ProcessIdentity(child.pid))
    assert gone(ProcessIdentity(child.pid, start=1, boot=boot_id()))


def test_without_proc_only_the_pid_is_checked(
    sleeper: ProcessIdentity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS has no /proc: a live pid keeps its journal, whatever start time and boot
    it recorded (there is nothing to compare them with)."""
    monkeypatch.setattr(process_identity, "PROC", tmp_path / "no-proc")
    assert this_process() == ProcessIdentity(os.getpid())
    assert not gone(ProcessIdentity(sleeper.pid, start=1, boot="another boot"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert gone(ProcessIdentity(child.pid, start=1, boot="another boot"))


def test_a_stat_entry_that_cannot_be_read_keeps_the_writer_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry /proc hides or shows garbled: it cannot tell, so the writer is alive."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "stat").write_bytes(_stat_line(1, b"x", b"R", 5))
    (proc / str(os.getpid())).mkdir()
    (proc / str(os.getpid()) / "stat").write_bytes(b"garbled")
    monkeypatch.setattr(process_identity, "PROC", proc)
    assert not gone(ProcessIdentity(os.getpid(), start=5))


def test_a_zombie_in_proc_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proc = tmp_path / "proc"
    (proc / str(os.getpid())).mkdir(parents=True)
    (proc / str(os.getpid()) / "stat").write_bytes(_stat_line(os.getpid(), b"sleep", b"Z", 7))
    monkeypatch.setattr(process_identity, "PROC", proc)
    assert gone(ProcessIdentity(os.getpid(), start=7))
