"""Which process wrote a journal, and whether it is still running.

A process id alone is not enough: ids are reused, soon after a reboot or in a container
whose ids start low again each time (fastasync may well be process 1 there), and an
unrelated process holding the writer's id made the writer look alive, so its journal
was never undone. Where Linux's `/proc` shows them, the writer therefore also records
when it started (field 22 of `/proc/PID/stat`, clock ticks after boot) and which boot it
ran in (`/proc/sys/kernel/random/boot_id`).

A writer counts as gone when its id names no process, or a zombie (killed, not yet
reaped by its parent: it writes nothing more), or, for what it recorded and can be read
here, a process of another boot or one that started at another time. Without `/proc`
(macOS), or for a writer that recorded neither (a journal from before they were
recorded), only the id is checked: a live process with that id keeps it alive. When its
`/proc` entry cannot be read (another user's, hidden by `hidepid`), it counts as alive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# A module global so tests can point it at a folder of their own.
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessIdentity:
    """A process: its id, and where known its start time and its boot."""

    pid: int
    start: int | None = None  # /proc/PID/stat field 22: clock ticks after boot
    boot: str | None = None  # /proc/sys/kernel/random/boot_id


@dataclass(frozen=True)
class ProcessStatus:
    """What /proc/PID/stat says about a process that the identity check needs."""

    state: str  # "R", "S", "Z" (zombie), ...
    start: int  # clock ticks after boot


def parse_stat(raw: bytes) -> ProcessStatus:
    """The state and start time in the text of /proc/PID/stat; ValueError if malformed.

    The text is "PID (COMM) STATE PPID ...": COMM, the program's name, may hold spaces,
    parentheses and even newlines, so the fields are counted from the last ")"."""
    end = raw.rfind(b")")
    if end < 0:
        raise ValueError("no ')' after the command name")
    fields = raw[end + 1 :].split()
    if len(fields) < 20:
        raise ValueError(f"{len(fields) + 2} fields, fewer than 22")
    # fields[0] is field 3, the state, so field 22 is fields[19].
    return ProcessStatus(state=fields[0].decode("ascii"), start=int(fields[19]))


def boot_id() -> str | None:
    """This boot's id, or None where the system does not show one."""
    try:
        return (PROC / "sys" / "kernel" / "random" / "boot_id").read_text("ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _status(pid: int) -> ProcessStatus | None:
    """The process's status in /proc; None when /proc cannot tell (there is none, or
    the entry is hidden or unreadable). ProcessLookupError when /proc shows no such
    process."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        if (PROC / "self" / "stat").exists():
            raise ProcessLookupError(pid) from None  # ended since kill() found it
        return None
    except OSError:
        return None
    try:
        return parse_stat(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def this_process() -> ProcessIdentity:
    """The identity of the running process, as a journal records it."""
    pid = os.getpid()
    try:
        status = _status(pid)
    except ProcessLookupError:  # a /proc of another pid namespace
        status = None
    return ProcessIdentity(pid, start=None if status is None else status.start, boot=boot_id())


# A temporary file's name holds the boot id's first eight hex digits: 2**32 boots
# apart, enough to tell the last boot from this one, and short enough for a name.
SHORT_BOOT = 8


def name_token(identity: ProcessIdentity) -> str:
    """The identity as a temporary file's name holds it: `PID-START-BOOT` (the boot
    id's first eight hex digits), `PID-START` without a boot id, `PID` without /proc."""
    if identity.start is None:
        return str(identity.pid)
    if identity.boot is None or len(identity.boot) < SHORT_BOOT:
        return f"{identity.pid}-{identity.start}"
    return f"{identity.pid}-{identity.start}-{identity.boot[:SHORT_BOOT].lower()}"


def from_name_token(token: str) -> ProcessIdentity:
    """The identity `name_token` wrote (ValueError for another shape)."""
    pid, *rest = token.split("-")
    if len(rest) > 2:
        raise ValueError(token)
    return ProcessIdentity(
        int(pid),
        start=int(rest[0]) if rest else None,
        boot=rest[1] if len(rest) == 2 else None,
    )


def _same_boot(current: str, recorded: str) -> bool:
    if len(recorded) == SHORT_BOOT:  # from a temporary file's name
        return current[:SHORT_BOOT].lower() == recorded
    return current == recorded


def gone(writer: ProcessIdentity) -> bool:
    """Whether the process `writer` has ended (see the module's docstring)."""
    if writer.boot is not None:
        boot = boot_id()
        if boot is not None and not _same_boot(boot, writer.boot):
            return True  # written before a reboot: every process of that boot ended
    if writer.pid != os.getpid():
        try:
            os.kill(writer.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            pass  # another user's process: it exists; /proc may tell whose it is
    try:
        status = _status(writer.pid)
    except ProcessLookupError:
        return True
    if status is None:
        return False  # no /proc: the id alone, and a process has it
    if status.state == "Z":
        return True
    return writer.start is not None and status.start != writer.start
