"""Dependencies for endpoints, as `Annotated` aliases: `def route(jobs: JobRunnerDep)`.

Each reads what the lifespan put in its state, so an app built with other settings
(as in tests) gets its own resources. They are `async def` only so that FastAPI
calls them on the event loop instead of sending each one to the threadpool.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from app.core.config import Settings
from app.jobs import JobRunner, JobStoreUnavailableError


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_job_runner(request: Request) -> AsyncIterator[JobRunner]:
    """The app's job runner; 503 with `Retry-After` when its store refuses.

    The translation lives here so that every endpoint using jobs answers alike:
    the store is full of unfinished jobs (or down), try again later.
    """
    try:
        jobs: JobRunner = request.state.jobs
        yield jobs
    except JobStoreUnavailableError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            str(exc),
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc


JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
