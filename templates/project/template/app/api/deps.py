"""Dependencies for endpoints, as `Annotated` aliases: `def route(jobs: JobRunnerDep)`.

Each reads what the lifespan put in its state, so an app built with other settings
(as in tests) gets its own resources. They are `async def` only so that FastAPI
calls them on the event loop instead of sending each one to the threadpool.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.jobs import JobRunner


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_job_runner(request: Request) -> JobRunner:
    """The app's job runner."""
    jobs: JobRunner = request.state.jobs
    return jobs


JobRunnerDep = Annotated[JobRunner, Depends(get_job_runner)]
