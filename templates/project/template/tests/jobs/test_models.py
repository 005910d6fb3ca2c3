from typing import Any

import pytest
from pydantic import BaseModel

from app.jobs import Job, JobStatus, TaskSpec
from tests.jobs.sample_tasks import count_primes, echo


class Input(BaseModel):
    pass


def test_job_moves_through_its_statuses() -> None:
    job = Job(name="echo")
    assert (job.status, job.finished) == (JobStatus.QUEUED, False)

    job.start()
    assert (job.status, job.finished) == (JobStatus.RUNNING, False)

    job.succeed({"ok": True})
    assert (job.status, job.finished, job.result) == (
        JobStatus.SUCCEEDED,
        True,
        {"ok": True},
    )


def test_job_status_serialises_as_its_value() -> None:
    assert Job(name="echo").model_dump(mode="json")["status"] == "queued"


def test_io_task_must_be_async() -> None:
    with pytest.raises(TypeError, match="async def"):
        TaskSpec(name="t", input_model=Input, func=count_primes, kind="io")


def test_cpu_task_must_be_a_plain_function() -> None:
    with pytest.raises(TypeError, match="module level"):
        TaskSpec(name="t", input_model=Input, func=echo, kind="cpu")


def test_cpu_task_must_be_importable_by_workers() -> None:
    def local(payload: Input) -> None: ...

    with pytest.raises(TypeError, match="module level"):
        TaskSpec(name="t", input_model=Input, func=local, kind="cpu")


@pytest.mark.parametrize("name", ["", "Upper", "with space", "a/b"])
def test_task_name_must_fit_in_a_url(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase"):
        TaskSpec(name=name, input_model=Input, func=echo, kind="io")


def test_task_name_must_not_look_like_a_job_id() -> None:
    """GET /api/jobs/{name} would look up a job, not answer 405 for the task."""
    with pytest.raises(ValueError, match="shape of a job id"):
        TaskSpec(name="0123456789abcdef" * 2, input_model=Input, func=echo, kind="io")


def test_kind_must_be_io_or_cpu() -> None:
    kind: Any = "gpu"

    with pytest.raises(ValueError, match="kind"):
        TaskSpec(name="t", input_model=Input, func=echo, kind=kind)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_a_task_s_timeout_must_be_seconds_above_zero(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        TaskSpec(name="t", input_model=Input, func=echo, kind="io", timeout=timeout)
