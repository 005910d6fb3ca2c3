"""Where job records are kept: the `JobStore` interface and its in-memory version.

`InMemoryJobStore` keeps jobs in this process's memory only. A restart loses them,
and with several server processes (`uvicorn --workers N`, several containers) each
has its own store, so a `GET` may reach a process that never saw the job. A store
on a database table shares jobs between processes and survives restarts (the jobs
themselves still run in the process that started them); for jobs that must also
be run elsewhere or survive a restart mid-way, use Celery.
"""

from abc import ABC, abstractmethod
from collections import OrderedDict
from datetime import timedelta

from app.jobs.models import Job, utc_now

# Seconds a client is asked to wait (`Retry-After`) when the store refuses a job.
RETRY_AFTER_SECONDS = 5


class JobStoreUnavailableError(Exception):
    """The store cannot take or give jobs right now; `retry_after` says when to retry.

    The API answers 503 with a `Retry-After` header. Stores raise it when their
    backend is down too (a database store: no connection in time).
    """

    def __init__(self, message: str, *, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobStoreFullError(JobStoreUnavailableError):
    """Every stored job is still queued or running, so none can make room."""


class JobStore(ABC):
    """Where the job runner keeps job records; the API reads them from here.

    A store holds at most `max_jobs` jobs. A job that finished more than `ttl`
    seconds ago has expired: `get` no longer finds it and it may be deleted at any
    time. `add` makes room by deleting expired jobs, then the job that finished
    longest ago; when every stored job is unfinished it raises `JobStoreFullError`.

    Records are values: `get` returns a copy, and a change to a job is stored only
    by `save`. The runner calls `add` once (status `queued`), then `save` when the
    job starts and when it ends. Any method may raise `JobStoreUnavailableError`.
    """

    def __init__(self, max_jobs: int, ttl: float) -> None:
        if max_jobs < 1 or not ttl > 0:
            msg = f"max_jobs must be 1 or more and ttl above 0, not {max_jobs}, {ttl}."
            raise ValueError(msg)
        self.max_jobs = max_jobs
        self.ttl = ttl

    @abstractmethod
    async def add(self, job: Job) -> None:
        """Store a new job, making room as described above or refusing it."""

    @abstractmethod
    async def save(self, job: Job) -> None:
        """Store the new state of a job that `add` stored."""

    @abstractmethod
    async def get(self, job_id: str) -> Job | None:
        """The job with `job_id`, or None if it is unknown or expired."""

    def expired(self, job: Job) -> bool:
        """Whether `job` finished more than `ttl` seconds ago."""
        return job.finished_at is not None and (
            utc_now() - job.finished_at > timedelta(seconds=self.ttl)
        )


class InMemoryJobStore(JobStore):
    """Jobs in a dict of this process; only the event loop touches it, so no lock."""

    def __init__(self, max_jobs: int, ttl: float) -> None:
        super().__init__(max_jobs, ttl)
        self._jobs: dict[str, Job] = {}
        # Ids of finished jobs in the order they finished: the first ones are the
        # first to expire and the first to make room.
        self._finished: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._jobs)

    async def add(self, job: Job) -> None:
        self._drop_expired()
        if len(self._jobs) >= self.max_jobs:
            if not self._finished:
                msg = f"All {self.max_jobs} jobs kept are unfinished; try again later."
                raise JobStoreFullError(msg)
            oldest, _ = self._finished.popitem(last=False)
            del self._jobs[oldest]
        self._jobs[job.id] = job.model_copy()
        if job.finished:
            self._finished[job.id] = None

    async def save(self, job: Job) -> None:
        if job.id not in self._jobs:
            # Dropped meanwhile (expired, or made room): nothing to update.
            return
        self._jobs[job.id] = job.model_copy()
        if job.finished:
            self._finished[job.id] = None

    async def get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or self.expired(job):
            return None
        return job.model_copy()

    def _drop_expired(self) -> None:
        while self._finished:
            job_id = next(iter(self._finished))
            if not self.expired(self._jobs[job_id]):
                return
            del self._finished[job_id], self._jobs[job_id]
