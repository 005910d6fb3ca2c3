"""The bounded, in-memory job store.

Jobs live in this process's memory only. A restart loses them, and with several
server processes (`uvicorn --workers N`, several containers) each has its own store,
so a `GET` may reach a process that never saw the job. For jobs that must survive a
restart or be shared between processes, use Celery with a result backend.
"""

from collections import OrderedDict

from app.jobs.models import Job


class JobStoreFullError(Exception):
    """Every stored job is still queued or running, so none can make room."""


class JobStore:
    """Jobs by id, at most `max_jobs`; the oldest finished job makes room for a new one.

    Only the event loop touches it, so it needs no lock.
    """

    def __init__(self, max_jobs: int) -> None:
        self.max_jobs = max_jobs
        # Insertion order is age order: the first finished job found is the oldest.
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, job: Job) -> None:
        """Store `job`, dropping the oldest finished job if the store is full."""
        if len(self._jobs) >= self.max_jobs:
            self._drop_oldest_finished()
        self._jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        """The job with `job_id`, or None if it never existed or was dropped."""
        return self._jobs.get(job_id)

    def _drop_oldest_finished(self) -> None:
        for job_id, job in self._jobs.items():
            if job.finished:
                del self._jobs[job_id]
                return
        msg = f"All {self.max_jobs} stored jobs are unfinished; try again later."
        raise JobStoreFullError(msg)
