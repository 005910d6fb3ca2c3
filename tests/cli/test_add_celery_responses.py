"""`fastasync add celery` documents Redis's 503 where it can be answered: on
`GET /api/jobs/{id}` (which then asks Celery about ids) beside the job store's 503,
and on the Celery tasks' routes beside theirs; in projects made before too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import add_ok, replace_in
from tests.cli.old_projects import upstream_errors_as_made_before_add_reason

# What each operation documents for 503, printed as JSON.
DOCUMENTED = """
import json
from app.main import create_app
paths = create_app().openapi()["paths"]
print(json.dumps({
    f"{method.upper()} {path}": operation["responses"].get("503")
    for path, operations in paths.items()
    for method, operation in operations.items()
}))
"""
GET_JOB = "GET /api/jobs/{job_id}"


def documented(project: Path) -> dict[str, dict[str, object] | None]:
    result = subprocess.run(
        [sys.executable, "-c", DOCUMENTED],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, dict[str, object] | None] = json.loads(result.stdout)
    return answers


def reasons(response: dict[str, object] | None) -> list[str]:
    assert response is not None
    lines = str(response["description"]).splitlines()
    return [line.removeprefix("- ") for line in lines[1:]] if lines[0] == "Any of:" else lines


def test_get_job_documents_the_store_s_503_then_redis_s_too(project: Path) -> None:
    add_ok(project, "task", "summarize")
    before = documented(project)
    # Looking a job up never finds the store full: that is a reason of POST only.
    assert [reason.split(";")[0] for reason in reasons(before[GET_JOB])] == [
        "The job store is down"
    ]
    assert "unfinished" in reasons(before["POST /api/jobs/summarize"])[0]

    add_ok(project, "celery")
    add_ok(project, "task", "report", "--backend", "celery")

    after = documented(project)
    get_job = reasons(after[GET_JOB])
    assert [reason.split(";")[0] for reason in get_job] == [
        "The job store is down",
        "Redis (Celery's broker and result backend) did not answer in time",
    ]
    assert after[GET_JOB] is not None and "Retry-After" in str(after[GET_JOB]["headers"])
    report = reasons(after["POST /api/jobs/report"])
    assert any("wait for a Celery worker (CELERY_QUEUE_MAX)" in reason for reason in report)
    assert any(reason.startswith("Redis (Celery's broker") for reason in report)
    assert any("JSON_IN_FLIGHT_MAX_BYTES" in reason for reason in report)
    # The local task's route does not talk to Redis.
    assert not any("Redis" in r for r in reasons(after["POST /api/jobs/summarize"]))


def test_add_celery_on_a_project_made_before_the_job_id_path(project: Path) -> None:
    # Earlier projects: `GET /{job_id}` with `job_id: str`, one 503 for both routes,
    # and no `add_reason` in app/api/responses.py.
    replace_in(
        project / "app/api/routes/jobs.py",
        ('    "/{job_id:job_id}",', '    "/{job_id}",'),
        ("async def get_job(job_id: JobId,", "async def get_job(job_id: str,"),
        ("status.HTTP_503_SERVICE_UNAVAILABLE: STORE_DOWN,", "503: UNAVAILABLE,"),
    )
    responses = project / "app/api/responses.py"
    text = responses.read_text()
    start = text.index("# Where a status is answered for more than one reason")
    end = text.index("# Answered by the middleware in app/main.py")
    responses.write_text(text[:start] + text[end:])
    replace_in(
        project / "app/api/json_body.py",
        ("\nfrom app.api.responses import add_reason\n", ""),
        (
            "            self.responses = add_reason(\n"
            "                self.responses, status.HTTP_503_SERVICE_UNAVAILABLE, BUSY\n"
            "            )\n",
            "            self.responses = {status.HTTP_503_SERVICE_UNAVAILABLE: BUSY}"
            " | self.responses\n",
        ),
    )
    upstream_errors_as_made_before_add_reason(project)
    assert "Redis" not in str(documented(project)[GET_JOB])  # it loads as it is

    add_ok(project, "celery")

    assert "def add_reason(" in responses.read_text()
    get_job = reasons(documented(project)[GET_JOB])
    assert len(get_job) == 2
    assert "job store is down" in get_job[0]
    assert get_job[1].startswith("Redis (Celery's broker and result backend)")


# A router of the user's, included with `app.include_router(..., responses=...)`
# outside the RouterGroup: what its Celery route documents for 413 and 503.
INCLUDED = """
import json
from fastapi import APIRouter
from pydantic import BaseModel
from app.api.deps import CeleryJobsDep
import app.main

class Upload(BaseModel):
    name: str

router = APIRouter()

@router.post("/uploads")
async def upload(body: Upload, jobs: CeleryJobsDep) -> None:
    pass

include_routers = app.main.include_routers

def with_mine(fastapi_app):
    include_routers(fastapi_app)
    fastapi_app.include_router(router, prefix="/mine", responses={
        413: {"description": "An upload too large"},
        503: {"description": "Uploads are paused"},
    })

app.main.include_routers = with_mine
responses = app.main.create_app().openapi()["paths"]["/mine/uploads"]["post"]["responses"]
print(json.dumps({code: responses[code] for code in ("413", "503")}))
"""


def test_a_router_s_own_413_and_503_stay_beside_celery_s(project: Path) -> None:
    """FastAPI documents a route with its include's responses under the route's own:
    the 413 and 503 `document_celery_errors` gave the route hid the include's."""
    add_ok(project, "celery")

    result = subprocess.run(
        [sys.executable, "-c", INCLUDED], cwd=project, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    documented = json.loads(result.stdout)
    too_large = reasons(documented["413"])
    assert too_large[0] == "An upload too large"
    assert too_large[1].startswith("The job's input, as JSON, is larger than")
    unavailable = reasons(documented["503"])
    assert unavailable[0] == "Uploads are paused"
    assert unavailable[1].startswith("Redis (Celery's broker and result backend)")
