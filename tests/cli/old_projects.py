"""Projects as earlier fastasync versions made them, built from those versions'
template text (tests/fixtures/), for the tests of `add` on them."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# tests/fixtures/before_job_id_path/README.md says where each file comes from.
BEFORE_JOB_ID_PATH = {
    "jobs_routes.py.txt": "app/api/routes/jobs.py",
    "jobs_models.py.txt": "app/jobs/models.py",
    "test_jobs_routes.py.txt": "tests/api/routes/test_jobs.py",
    "test_jobs_models.py.txt": "tests/jobs/test_models.py",
}
# What the by-hand note of `add celery` has the user change in the old test.
OLD_404_BODY = 'assert response.json() == {"detail": "No job with this id"}'
OLD_404_TEST = "async def test_a_404_does_not_echo_a_long_job_id("


def as_made_before_the_job_id_path(project: Path) -> None:
    """The jobs router, the job models and their tests as `new` wrote them before
    `GET /api/jobs/{id}` took job ids only: `GET /{job_id}` with `job_id: str`."""
    for fixture, rel in BEFORE_JOB_ID_PATH.items():
        text = (FIXTURES / "before_job_id_path" / fixture).read_text("utf-8")
        (project / rel).write_text(text, "utf-8")


def follow_the_old_test_note(project: Path) -> None:
    """Change the old test's 404 body as `add celery`'s note says."""
    path = project / "tests/api/routes/test_jobs.py"
    text = path.read_text("utf-8")
    start = text.index(OLD_404_TEST)
    at = text.index(OLD_404_BODY, start)
    new = 'assert response.json() == {"detail": "Not Found"}'
    path.write_text(text[:at] + new + text[at + len(OLD_404_BODY) :], "utf-8")


def as_made_before_the_celery_input_limit(project: Path) -> None:
    """A `new demo --yes --db none --celery` project as `new` wrote it before
    `CELERY_INPUT_MAX_BYTES`: no setting, no 413, no test of it."""
    for fixture in (FIXTURES / "before_celery_input_limit").glob("*.txt"):
        name = fixture.name.removesuffix(".txt")
        rel = ".env.example" if name == "env.example" else name.replace("__", "/")
        (project / rel).write_text(fixture.read_text("utf-8"), "utf-8")
    (project / "tests/jobs/test_celery_input.py").unlink()


def upstream_errors_as_made_before_add_reason(project: Path) -> None:
    """app/api/upstream_errors.py as `new` wrote it before `add_reason`
    (tests/fixtures/before_add_reason/README.md)."""
    text = (FIXTURES / "before_add_reason" / "upstream_errors.py.txt").read_text("utf-8")
    (project / "app/api/upstream_errors.py").write_text(text, "utf-8")
