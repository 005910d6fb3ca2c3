from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from app.api.routes.jobs import task_router
from app.core.config import Settings
from app.main import create_app
from tests.jobs.sample_tasks import SAMPLE_TASKS


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, with the sample tasks' routes mounted where registered tasks go."""
    app = create_app(settings)
    app.include_router(task_router(SAMPLE_TASKS), prefix="/api/jobs", tags=["jobs"])
    return app


async def start(client: httpx.AsyncClient, task: str, body: object) -> str:
    """Start a job and return the URL of its status."""
    response = await client.post(f"/api/jobs/{task}", json=body)

    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.json() == {"id": job_id, "status": "queued"}
    location = response.headers["location"]
    assert httpx.URL(location).path == f"/api/jobs/{job_id}"
    return location


async def follow(client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    """Poll the job's URL, as an API client would, until the job is finished."""
    with anyio.fail_after(30):
        while True:
            response = await client.get(location)
            assert response.status_code == 200
            job = response.json()
            if job["status"] in ("succeeded", "failed"):
                return job
            await anyio.sleep(0.01)


async def test_io_job_runs_to_success(client: httpx.AsyncClient) -> None:
    location = await start(client, "echo", {"text": "hi", "delay": 0.05})

    job = await follow(client, location)

    assert job["status"] == "succeeded"
    assert job["name"] == "echo"
    assert job["result"]["text"] == "hi"
    assert job["error"] is None
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]


async def test_cpu_job_runs_to_success(client: httpx.AsyncClient) -> None:
    location = await start(client, "primes", {"below": 100})

    job = await follow(client, location)

    assert job["status"] == "succeeded"
    assert job["result"]["primes"] == 25


@pytest.mark.parametrize("task", ["fail-io", "fail-cpu"])
async def test_failing_job_is_stored_as_failed(
    client: httpx.AsyncClient, task: str
) -> None:
    location = await start(client, task, {"message": "boom"})

    job = await follow(client, location)

    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"].endswith("Error: boom")


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/jobs/no-such-job")

    assert response.status_code == 404


async def test_invalid_input_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/jobs/primes", json={"below": "many"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "below"]


async def test_openapi_shows_each_task_input(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    operation = schema["paths"]["/api/jobs/echo"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EchoInput"}
    assert "202" in operation["responses"]


class TestFullStore:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"job_store_max": 1})

    async def test_answers_503_while_every_job_is_unfinished(
        self, client: httpx.AsyncClient
    ) -> None:
        await start(client, "echo", {"text": "slow", "delay": 30})

        response = await client.post("/api/jobs/echo", json={"text": "one more"})

        assert response.status_code == 503
        assert response.headers["retry-after"]
