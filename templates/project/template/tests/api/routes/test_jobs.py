import re
from typing import Any
from uuid import uuid4

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
    with anyio.fail_after(90):
        while True:
            response = await client.get(location)
            assert response.status_code == 200
            job: dict[str, Any] = response.json()
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


@pytest.mark.parametrize("result", ["nan", "infinity", "surrogate"])
async def test_a_job_whose_result_json_cannot_hold_fails(
    client: httpx.AsyncClient, result: str
) -> None:
    """Such a result was stored as it was, and every look at the job was a 500."""
    location = await start(client, "odd-result", {"result": result})

    job = await follow(client, location)

    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"].startswith(("ValueError: ", "UnicodeEncodeError: "))


@pytest.mark.parametrize("task", ["fail-io", "fail-cpu", "fail-upstream"])
async def test_a_failed_job_shows_its_error_type_never_its_message(
    client: httpx.AsyncClient, task: str
) -> None:
    location = await start(client, task, {"message": "api_key=s3cret"})

    job = await follow(client, location)

    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"].split(":")[0].endswith("Error")
    assert "s3cret" not in job["error"]


async def test_a_job_past_its_time_limit_fails_with_a_timeout(
    client: httpx.AsyncClient,
) -> None:
    location = await start(client, "impatient-echo", {"text": "slow", "delay": 30})

    job = await follow(client, location)

    assert job["status"] == "failed"
    assert job["error"] == "JobTimeout: the job did not finish within 0.2 s."


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/jobs/{uuid4().hex}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No job with this id"}


@pytest.mark.parametrize("job_id", ["no-such-job", "x" * 60_000, "A" * 32, "a" * 33])
async def test_what_is_not_a_job_id_is_404_without_echo(
    client: httpx.AsyncClient, job_id: str
) -> None:
    response = await client.get(f"/api/jobs/{job_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_a_task_s_path_is_never_taken_for_a_job_id(
    client: httpx.AsyncClient,
) -> None:
    """GET /api/jobs/echo looked the task's name up as a job id (404), and a PUT
    there said `Allow: GET, POST`."""
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, "/api/jobs/echo")

        assert response.status_code == 405, method
        assert response.headers["allow"] == "POST"

    response = await client.put(f"/api/jobs/{uuid4().hex}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_invalid_input_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/jobs/primes", json={"below": "many"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "below"]


async def test_a_body_that_is_not_json_text_is_422(client: httpx.AsyncClient) -> None:
    # Not UTF-8: FastAPI alone answers an undocumented 400 (see app/api/json_body.py).
    response = await client.post(
        "/api/jobs/primes",
        content=b"\xff",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_openapi_shows_each_task_input(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    operation = schema["paths"]["/api/jobs/echo"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EchoInput"}
    assert "202" in operation["responses"]


class TestFlood:
    """Twice as many long jobs as the store holds: 503s, then recovery by timeouts."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # The time limit must not end the first jobs before all requests are in,
        # whatever the store costs (a database store writes each job).
        return settings.model_copy(update={"job_store_max": 20, "job_timeout_s": 3.0})

    async def test_refuses_with_503_and_retry_after_then_recovers(
        self, client: httpx.AsyncClient
    ) -> None:
        slow = {"text": "slow", "delay": 60}
        responses = []

        async def post() -> None:
            responses.append(await client.post("/api/jobs/echo", json=slow))

        async with anyio.create_task_group() as tg:
            for _ in range(40):
                tg.start_soon(post)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [202] * 20 + [503] * 20
        refused = [r for r in responses if r.status_code == 503]
        assert all(int(r.headers["retry-after"]) > 0 for r in refused)
        assert "unfinished" in refused[0].json()["detail"]

        # The time limit ends the accepted jobs, and the store takes jobs again.
        accepted = [r for r in responses if r.status_code == 202]
        for response in accepted:
            job = await follow(client, response.headers["location"])
            assert job["error"].startswith("JobTimeout")
        location = await start(client, "echo", {"text": "after the flood"})
        assert (await follow(client, location))["status"] == "succeeded"


class TestLargeInputs:
    """Unfinished jobs' inputs stay in memory: bounded in bytes, not only in jobs."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        limits = {"job_inputs_max_bytes": 4096, "max_body_bytes": 4096}
        return settings.model_copy(update={**limits, "job_timeout_s": 3.0})

    async def test_refuses_with_503_past_the_bytes_then_recovers(
        self, client: httpx.AsyncClient
    ) -> None:
        large = {"text": "x" * 1500, "delay": 60}  # about 1,500 bytes of body
        first, second, third = [
            await client.post("/api/jobs/echo", json=large) for _ in range(3)
        ]

        assert [first.status_code, second.status_code] == [202, 202]
        assert third.status_code == 503
        assert int(third.headers["retry-after"]) > 0
        assert "bytes of input" in third.json()["detail"]
        # A small job still fits beside the two large ones.
        small = await client.post("/api/jobs/echo", json={"text": "hi"})
        assert small.status_code == 202

        # The time limit ends the large jobs, and their bytes are free again.
        for response in (first, second):
            job = await follow(client, response.headers["location"])
            assert job["error"].startswith("JobTimeout")
        location = await start(client, "echo", large | {"delay": 0})
        assert (await follow(client, location))["status"] == "succeeded"


class TestExpiry:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"job_ttl_s": 0.2})

    async def test_a_finished_job_is_gone_after_the_ttl(
        self, client: httpx.AsyncClient
    ) -> None:
        location = await start(client, "echo", {"text": "brief"})
        await follow(client, location)

        await anyio.sleep(0.3)

        assert (await client.get(location)).status_code == 404


async def test_openapi_documents_the_503_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    for operation in (
        paths["/api/jobs/echo"]["post"],
        paths["/api/jobs/{job_id}"]["get"],
    ):
        unavailable = operation["responses"]["503"]
        assert "Retry-After" in unavailable["headers"]
    # A full store refuses new jobs; looking one up never finds it full.
    start = paths["/api/jobs/echo"]["post"]["responses"]["503"]["description"]
    assert "unfinished" in start
    get_job = paths["/api/jobs/{job_id}"]["get"]["responses"]["503"]["description"]
    assert "job store is down" in get_job
    assert "unfinished" not in get_job


async def test_openapi_documents_the_shape_of_a_job_id(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    (parameter,) = paths["/api/jobs/{job_id}"]["get"]["parameters"]
    assert parameter["schema"]["pattern"] == "^[0-9a-f]{32}$"
    job_id = (await client.post("/api/jobs/echo", json={"text": "hi"})).json()["id"]
    assert re.fullmatch(parameter["schema"]["pattern"], job_id)
