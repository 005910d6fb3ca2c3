"""`GET /api/jobs/{id}` takes job ids only, in projects made before it did.

Projects made before the jobs API took ids only route `GET /api/jobs/{job_id}` with
`job_id: str`: it takes a task's path (`GET /api/jobs/<task>`) for a job id,
and with Celery asks Redis about any string. `fastasync add celery` brings such a
project's route to what `new` writes today: the `{job_id:job_id}` path convertor
(32 hex digits), so a task's path answers 405 with `Allow: POST`, and the `JobId`
parameter that documents the id's shape. Projects that have it already read
`identical`; a `get_job` the user restructured gets the lines to change by hand.
"""

from __future__ import annotations

from fastasync_cli.engine import edits
from fastasync_cli.engine.fileio import read_text_file
from fastasync_cli.engine.plan import ByHand
from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.render import templates_root
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit

JOBS_ROUTES = "app/api/routes/jobs.py"
JOB_MODELS = "app/jobs/models.py"
OLD_PATH = "/{job_id}"
NEW_PATH = "/{job_id:job_id}"

PATTERN = """
# A job's id: 32 lowercase hex digits (a UUID4 without dashes), whichever store or
# backend keeps the job. `GET /api/jobs/{id}` takes ids of this shape only, so that
# it never takes a task's path, `/api/jobs/{name}`, for an id (app/api/routes/jobs.py).
JOB_ID_PATTERN = "[0-9a-f]{32}"
"""


def _convertor() -> str:
    """The convertor and `JobId`, as app/api/routes/jobs.py of a new project defines
    them: taken from that template, so the two never differ."""
    text = (templates_root() / "project/template/app/api/routes/jobs.py").read_text()
    start = text.index("_JOB_ID = re.compile(")
    end = text.index("\n\n\nclass JobAccepted", start)
    return "\n" + text[start : end + 1]


def job_id_path_edits(builder: ComponentPlan) -> list[PythonEdit]:
    """The edits of app/api/routes/jobs.py that make `GET /api/jobs/{id}` take job
    ids only; app/jobs/models.py gets `JOB_ID_PATTERN`, which they import."""
    builder.edit_python(
        JOB_MODELS,
        [PythonEdit(lambda m: edits.ensure_definitions(m, PATTERN), PATTERN.strip())],
    )
    convertor = builder.snippet(JOBS_ROUTES, _convertor())
    _note_old_test(builder)
    return [
        PythonEdit(lambda m: edits.ensure_import(m, "re"), "import re"),
        import_edit("typing", "Annotated"),
        import_edit("fastapi", "Path"),
        import_edit("starlette.convertors", "Convertor"),
        import_edit("starlette.convertors", "register_url_convertor"),
        import_edit("app.jobs.models", "JOB_ID_PATTERN"),
        PythonEdit(
            lambda m: swap_edits.ensure_definitions_after_imports(m, convertor),
            f"# after the imports:\n{convertor.strip()}",
        ),
        PythonEdit(
            lambda m: edits.ensure_route_path(m, "get_job", OLD_PATH, NEW_PATH),
            f'"{NEW_PATH}"  # the path of get_job\'s route, instead of "{OLD_PATH}"',
        ),
        PythonEdit(
            lambda m: edits.ensure_parameter_annotation(m, "get_job", "job_id", "str", "JobId"),
            "job_id: JobId  # get_job's parameter, instead of `job_id: str`",
        ),
    ]


OLD_TEST = "test_a_404_does_not_echo_a_long_job_id"
JOBS_TESTS = "tests/api/routes/test_jobs.py"


def _note_old_test(builder: ComponentPlan) -> None:
    """The test `new` wrote with the old route expects its 404 body for a path that
    is not a job id; the path convertor answers Starlette's. Say what to change."""
    routes = read_text_file(builder.root, JOBS_ROUTES)
    tests = read_text_file(builder.root, JOBS_TESTS)
    if routes is None or tests is None or f'"{OLD_PATH}"' not in routes.text:
        return
    if f"def {OLD_TEST}(" not in tests.text:
        return
    builder.plan.by_hand.append(
        ByHand(
            "GET /api/jobs/{id} now takes job ids only, as in projects made today: "
            "a task's path answers 405, another path that is not a job id 404 "
            '{"detail": "Not Found"}.',
            f"{JOBS_TESTS}::{OLD_TEST} expects the 404 of an unknown id there; "
            "make it expect this:",
            'assert response.json() == {"detail": "Not Found"}',
        )
    )
