"""Background jobs: `POST /api/jobs/{task}` starts one, `GET /api/jobs/{id}` follows it.

Register tasks in `app.tasks.TASKS`; `JobRunner` runs them, owned by the lifespan.
"""

from app.jobs.models import Job, JobStatus, TaskSpec
from app.jobs.runner import JobRunner
from app.jobs.store import JobStore, JobStoreFullError

__all__ = ["Job", "JobRunner", "JobStatus", "JobStore", "JobStoreFullError", "TaskSpec"]
