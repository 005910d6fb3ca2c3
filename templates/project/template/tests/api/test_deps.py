import httpx
import pytest
from fastapi import FastAPI

from app.api.deps import JobRunnerDep, SettingsDep
from app.core.config import Settings
from app.jobs import JobRunner
from app.main import create_app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/probe")
    async def probe(settings: SettingsDep, jobs: JobRunnerDep) -> dict[str, str]:
        return {"app_name": settings.app_name, "jobs": type(jobs).__name__}

    return app


async def test_dependencies_come_from_the_lifespan(client: httpx.AsyncClient) -> None:
    response = await client.get("/probe")

    assert response.json() == {"app_name": "test-app", "jobs": JobRunner.__name__}
