"""One fastasync command at a time per project, and no lock file left behind.

The lock is `flock` on the project folder itself (opened read-only), so there is no
file to create or clean up, and the kernel releases it when the process ends, however
it ends. A second command waits up to `WAIT_SECONDS` for the first, then gives up.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastasync_cli.errors import TargetError, explain_os_error

WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.05


@contextmanager
def project_lock(
    folder: Path,
    *,
    wait: float = WAIT_SECONDS,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold an exclusive lock on `folder` for the body of the `with`."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        what, todo = explain_os_error(exc) or (
            exc.strerror,
            "Check the folder exists and that you may read it",
        )
        raise TargetError(f"Cannot open {folder}: {what}.", f"{todo}, then run again.") from None
    try:
        _acquire(fd, folder, wait, on_wait)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _acquire(fd: int, folder: Path, wait: float, on_wait: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        except OSError:
            return  # a file system without flock: run unlocked, as before locks existed
        if not told and on_wait is not None:
            on_wait()
            told = True
        if time.monotonic() >= deadline:
            raise TargetError(
                f"Another fastasync command is still changing {folder} after "
                f"{wait:.0f} s of waiting for it.",
                "Nothing was written. Run the command again when the other one has finished.",
            )
        time.sleep(_POLL_SECONDS)
