"""What a job is, and the spec of a task that can run as one."""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from math import inf
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, Field

# Task names become URL path segments: POST /api/jobs/{name}.
_TASK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

# A job's id: 32 lowercase hex digits (a UUID4 without dashes), whichever store or
# backend keeps the job. `GET /api/jobs/{id}` takes ids of this shape only, so that
# it never takes a task's path, `/api/jobs/{name}`, for an id (app/api/routes/jobs.py).
JOB_ID_PATTERN = "[0-9a-f]{32}"


def utc_now() -> datetime:
    """The current time in UTC, as job records hold it."""
    return datetime.now(UTC)


class JobStatus(StrEnum):
    """Where a job is in its life; `succeeded` and `failed` are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(BaseModel):
    """One run of a task, as `GET /api/jobs/{id}` shows it."""

    id: str = Field(default_factory=lambda: uuid4().hex)  # JOB_ID_PATTERN
    name: str
    status: JobStatus = JobStatus.QUEUED
    result: Any = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """Whether the job reached a final status."""
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    def start(self) -> None:
        """Mark the job as running."""
        self.status = JobStatus.RUNNING
        self.started_at = utc_now()

    def succeed(self, result: Any) -> None:
        """Mark the job as succeeded with a JSON-ready `result`."""
        self.status = JobStatus.SUCCEEDED
        self.result = result
        self.finished_at = utc_now()

    def fail(self, error: str) -> None:
        """Mark the job as failed with an `error` message."""
        self.status = JobStatus.FAILED
        self.error = error
        self.finished_at = utc_now()


def failure_message(exc: BaseException) -> str:
    """What a failed job shows its clients: the error's type, never its message.

    Messages may carry an upstream's answer, a secret or personal data; the full
    error and its traceback go to the server's log, under the job's id.
    """
    return f"{type(exc).__name__}: the job failed; its details are logged under its id."


@dataclass(frozen=True)
class TaskSpec:
    """A task that can run as a job; `POST /api/jobs/{name}` takes `input_model`.

    `kind="io"`: `func` is an `async def` that awaits I/O; it runs on the event loop.
    `kind="cpu"`: `func` is a plain module-level `def` doing CPU-heavy work; it runs
    in a worker process, so its input and result must be picklable.

    A job that runs longer than `timeout` seconds (default: the JOB_TIMEOUT_S
    setting) is stopped and fails with a `JobTimeout` error.
    """

    name: str
    input_model: type[BaseModel]
    func: Callable[[Any], Any]
    kind: Literal["io", "cpu"]
    # Seconds a job of this task may run; None means the app's JOB_TIMEOUT_S.
    timeout: float | None = None

    def __post_init__(self) -> None:
        # Fail at import time, not when the first job of a mis-declared task runs.
        if not _TASK_NAME.fullmatch(self.name):
            msg = f"Task name {self.name!r}: use lowercase letters, digits, - and _."
            raise ValueError(msg)
        if re.fullmatch(JOB_ID_PATTERN, self.name):
            msg = (
                f"Task name {self.name!r}: 32 hex digits is the shape of a job "
                f"id, so GET /api/jobs/{self.name} would look up a job; choose "
                "another name."
            )
            raise ValueError(msg)
        if self.timeout is not None and not 0 < self.timeout < inf:
            msg = f"Task {self.name!r}: timeout must be seconds above 0: {self.timeout}"
            raise ValueError(msg)
        if self.kind not in ("io", "cpu"):
            msg = f"Task {self.name!r}: kind must be 'io' or 'cpu', not {self.kind!r}."
            raise ValueError(msg)
        is_async = inspect.iscoroutinefunction(self.func)
        if self.kind == "io" and not is_async:
            msg = (
                f"Task {self.name!r}: an io task's func must be `async def`; "
                'blocking or CPU-heavy work belongs in kind="cpu".'
            )
            raise TypeError(msg)
        if self.kind == "cpu" and (is_async or "<" in self.func.__qualname__):
            msg = (
                f"Task {self.name!r}: a cpu task's func must be a plain `def` at "
                "module level, so that worker processes can import it."
            )
            raise TypeError(msg)
