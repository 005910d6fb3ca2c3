"""Background jobs: `POST /api/jobs/{task}` starts one, `GET /api/jobs/{id}` follows it.

Register tasks in `app.tasks.TASKS`; `JobRunner` runs them, owned by the lifespan,
and keeps their records in a `JobStore`.
"""

from app.jobs.models import Job, JobStatus, TaskSpec
from app.jobs.runner import JobRunner
from app.jobs.store import (
    InMemoryJobStore,
    JobStore,
    JobStoreFullError,
    JobStoreUnavailableError,
)

__all__ = [
    "InMemoryJobStore",
    "Job",
    "JobRunner",
    "JobStatus",
    "JobStore",
    "JobStoreFullError",
    "JobStoreUnavailableError",
    "TaskSpec",
]
