import logging
import os
from collections.abc import AsyncIterator

import anyio
import pytest

from app.core.config import Settings
from app.jobs import Job, JobRunner, JobStatus, JobStoreFullError, TaskSpec
from tests.jobs.sample_tasks import (
    EchoInput,
    FailInput,
    PrimesInput,
    echo_task,
    fail_cpu_task,
    fail_io_task,
    primes_task,
)


@pytest.fixture
async def runner(settings: Settings) -> AsyncIterator[JobRunner]:
    async with JobRunner(settings) as runner:
        yield runner


async def finished(job: Job) -> Job:
    """Wait until the job is finished, as the routes' clients would: by polling."""
    with anyio.fail_after(30):
        while True:
            if job.finished:
                return job
            await anyio.sleep(0.01)


async def test_io_job_succeeds_with_a_json_ready_result(runner: JobRunner) -> None:
    job = runner.submit(echo_task, EchoInput(text="hi"))
    assert job.status is JobStatus.QUEUED
    assert runner.get(job.id) is job

    await finished(job)

    assert job.status is JobStatus.SUCCEEDED
    assert job.result["text"] == "hi"
    assert isinstance(job.result["echoed_at"], str)
    assert job.started_at is not None and job.finished_at is not None


async def test_cpu_job_succeeds_in_another_process(runner: JobRunner) -> None:
    job = runner.submit(primes_task, PrimesInput(below=100))

    await finished(job)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result["primes"] == 25
    assert job.result["pid"] != os.getpid()


async def test_cpu_jobs_wait_for_a_free_worker(runner: JobRunner) -> None:
    first = runner.submit(primes_task, PrimesInput(below=1000))
    second = runner.submit(primes_task, PrimesInput(below=1000))

    await finished(first)
    await finished(second)

    # One worker (settings.cpu_workers): the second job started after the first.
    assert first.finished_at is not None and second.started_at is not None
    assert second.started_at >= first.finished_at


@pytest.mark.parametrize(
    ("spec", "error"),
    [(fail_io_task, "RuntimeError: boom"), (fail_cpu_task, "ValueError: boom")],
)
async def test_failing_job_is_stored_and_logged(
    runner: JobRunner, caplog: pytest.LogCaptureFixture, spec: TaskSpec, error: str
) -> None:
    job = runner.submit(spec, FailInput(message="boom"))

    await finished(job)

    assert job.status is JobStatus.FAILED
    assert job.error == error
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert job.id in record.getMessage()
    assert record.exc_info is not None


async def test_closing_the_runner_fails_unfinished_jobs(settings: Settings) -> None:
    async with JobRunner(settings) as runner:
        job = runner.submit(echo_task, EchoInput(text="slow", delay=30))
        await anyio.sleep(0.01)
        assert job.status is JobStatus.RUNNING

    assert job.status is JobStatus.FAILED
    assert job.error is not None and job.error.startswith("Cancelled")


async def test_submit_refuses_when_every_stored_job_is_unfinished(
    settings: Settings,
) -> None:
    async with JobRunner(settings.model_copy(update={"job_store_max": 1})) as runner:
        runner.submit(echo_task, EchoInput(text="slow", delay=30))

        with pytest.raises(JobStoreFullError):
            runner.submit(echo_task, EchoInput(text="one more"))


def test_submit_needs_an_open_runner(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        JobRunner(settings).submit(echo_task, EchoInput(text="hi"))
