"""Background jobs: `POST /api/jobs/{task}` starts one, `GET /api/jobs/{id}` follows it.

Jobs run in this process. Their records are kept by the app's job store: in memory
(a restart loses them), or in the `jobs` table once the project has a database
(see `app.jobs.store`). Tasks are registered in `app.tasks.TASKS`.

Both routes are `/api/jobs/<something>`. `GET /api/jobs/{id}` takes job ids only
(32 lowercase hex digits, `JOB_ID_PATTERN`), so a task's path is never taken for
an id: `GET /api/jobs/<task>` answers 405 with `Allow: POST`, as HTTP says for a
path that exists with other methods, and `PUT` there names POST alone in `Allow`.
Anything else that is not an id answers 404, as an unknown id does.
"""

import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from app.api.deps import JobRunnerDep
from app.api.json_body import StrictJSONRoute
from app.api.responses import error, location
from app.jobs import Job, JobStatus, TaskSpec
from app.jobs.models import JOB_ID_PATTERN
from app.tasks import TASKS

# StrictJSONRoute: a task's body that is not JSON text answers the documented 422
# (app/api/json_body.py).
router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=StrictJSONRoute)

# `JobRunnerDep` answers 503 with `Retry-After` when the job store refuses (see
# app/api/deps.py): a new job when the store is full of unfinished ones, any call
# when the store is down.
UNAVAILABLE = {
    "description": "Too many unfinished jobs, or the job store is down; retry after "
    "the seconds in the `Retry-After` header",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}
STORE_DOWN = {
    "description": "The job store is down; retry after the seconds in the "
    "`Retry-After` header",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}

_JOB_ID = re.compile(JOB_ID_PATTERN)


class JobIdConvertor(Convertor[str]):
    """`{job_id:job_id}` in a path: matches job ids only (`JOB_ID_PATTERN`)."""

    regex = JOB_ID_PATTERN

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        # A `Location` that the GET route would not match is a bug: fail loudly.
        if not _JOB_ID.fullmatch(value):
            msg = f"Not a job id ({JOB_ID_PATTERN}): {value!r}"
            raise ValueError(msg)
        return value


register_url_convertor("job_id", JobIdConvertor())

# The id as OpenAPI documents it: clients (and schemathesis) see the shape the path
# takes. Other values never reach the route (404, or 405 on a task's path).
JobId = Annotated[
    str,
    Path(
        pattern=f"^{JOB_ID_PATTERN}$",
        description="The job's id, as `POST /api/jobs/{task}` answered it",
    ),
]


class JobAccepted(BaseModel):
    """A job was queued; follow it at the URL in the `Location` header."""

    id: str
    status: JobStatus


@router.get(
    "/{job_id:job_id}",
    responses={
        status.HTTP_404_NOT_FOUND: error("Unknown or expired job, or not a job id"),
        status.HTTP_503_SERVICE_UNAVAILABLE: STORE_DOWN,
    },
)
async def get_job(job_id: JobId, jobs: JobRunnerDep) -> Job:
    """The job's status, and its result or error once it is finished.

    A failed job's `error` names the error's type only; the details are in the
    server's log, under the job's id. Finished jobs expire after JOB_TTL_S seconds.
    """
    job = await jobs.get(job_id)
    if job is None:
        # Unknown or expired; with the in-memory store, any id from before a restart.
        # The id is not echoed: the client has it.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No job with this id")
    return job


def task_router(tasks: Iterable[TaskSpec]) -> APIRouter:
    """A router of `add_task_routes(tasks)`, for tests that serve their own tasks."""
    routes = APIRouter(route_class=StrictJSONRoute)
    add_task_routes(routes, tasks)
    return routes


def add_task_routes(routes: APIRouter, tasks: Iterable[TaskSpec]) -> None:
    """One `POST /{name}` route per task, its body typed by the task's input model.

    Added to `router` itself rather than included as a router of its own: FastAPI
    matches included routers level by level, on every request of the app.
    """
    for spec in tasks:
        _add_submit_route(routes, spec)


def _add_submit_route(routes: APIRouter, spec: TaskSpec) -> None:
    # The task's own model: FastAPI validates the body with it and documents it.
    input_model = spec.input_model

    @routes.post(
        f"/{spec.name}",
        status_code=status.HTTP_202_ACCEPTED,
        name=f"start_{spec.name}_job",
        summary=f"Start a {spec.name} job",
        responses={status.HTTP_503_SERVICE_UNAVAILABLE: UNAVAILABLE},
    )
    async def start_job(
        payload: input_model,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        jobs: JobRunnerDep,
    ) -> JobAccepted:
        """Queue the job and answer at once; follow it at the `Location` URL."""
        # The body's bytes count against JOB_INPUTS_MAX_BYTES until the job ends.
        job = await jobs.submit(spec, payload, size=len(await request.body()))
        response.headers["Location"] = location(request, "get_job", job_id=job.id)
        return JobAccepted(id=job.id, status=job.status)


add_task_routes(router, TASKS)
