import gc
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from app.core.config import Settings
from app.jobs import (
    InMemoryJobStore,
    Job,
    JobRunner,
    JobStatus,
    JobStoreFullError,
    TaskSpec,
)
from tests.jobs.sample_tasks import (
    EchoInput,
    FailInput,
    HangInput,
    PrimesInput,
    echo_task,
    fail_cpu_task,
    fail_io_task,
    fail_upstream_task,
    hang_cpu_task,
    impatient_echo_task,
    primes_task,
)


@pytest.fixture
async def runner(settings: Settings) -> AsyncIterator[JobRunner]:
    async with JobRunner(settings) as runner:
        yield runner


async def finished(runner: JobRunner, job: Job) -> Job:
    """Wait until the stored job is finished, as the API's clients would: polling."""
    with anyio.fail_after(90):
        while True:
            stored = await runner.get(job.id)
            assert stored is not None
            if stored.finished:
                return stored
            await anyio.sleep(0.01)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_io_job_succeeds_with_a_json_ready_result(runner: JobRunner) -> None:
    job = await runner.submit(echo_task, EchoInput(text="hi"))
    assert job.status is JobStatus.QUEUED

    job = await finished(runner, job)

    assert job.status is JobStatus.SUCCEEDED
    assert job.result["text"] == "hi"
    assert isinstance(job.result["echoed_at"], str)
    assert job.started_at is not None and job.finished_at is not None


async def test_cpu_job_succeeds_in_another_process(runner: JobRunner) -> None:
    job = await runner.submit(primes_task, PrimesInput(below=100))

    job = await finished(runner, job)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result["primes"] == 25
    assert job.result["pid"] != os.getpid()


async def test_cpu_jobs_wait_for_a_free_worker(runner: JobRunner) -> None:
    first = await runner.submit(primes_task, PrimesInput(below=1000))
    second = await runner.submit(primes_task, PrimesInput(below=1000))

    first = await finished(runner, first)
    second = await finished(runner, second)

    # One worker (settings.cpu_workers): the second job started after the first.
    assert first.finished_at is not None and second.started_at is not None
    assert second.started_at >= first.finished_at


@pytest.mark.parametrize(
    ("spec", "error_type"),
    [
        (fail_io_task, "RuntimeError"),
        (fail_cpu_task, "ValueError"),
        (fail_upstream_task, "UpstreamError"),
    ],
)
async def test_a_failed_job_shows_the_error_type_and_logs_the_details(
    runner: JobRunner,
    caplog: pytest.LogCaptureFixture,
    spec: TaskSpec,
    error_type: str,
) -> None:
    secret = "token=s3cret in an upstream's answer"
    job = await runner.submit(spec, FailInput(message=secret))

    job = await finished(runner, job)

    assert job.status is JobStatus.FAILED
    assert job.error is not None and job.error.startswith(f"{error_type}: ")
    assert "s3cret" not in job.error
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert job.id in record.getMessage()
    assert record.exc_info is not None


class TestTimeouts:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"job_timeout_s": 0.2})

    async def test_an_io_job_past_its_time_limit_fails_with_a_timeout(
        self, runner: JobRunner, caplog: pytest.LogCaptureFixture
    ) -> None:
        job = await runner.submit(echo_task, EchoInput(text="slow", delay=30))

        with anyio.fail_after(5):
            job = await finished(runner, job)

        assert job.status is JobStatus.FAILED
        assert job.error == "JobTimeout: the job did not finish within 0.2 s."
        assert any(job.id in r.getMessage() for r in caplog.records)

    async def test_a_job_within_its_time_limit_succeeds(
        self, runner: JobRunner
    ) -> None:
        job = await runner.submit(echo_task, EchoInput(text="quick", delay=0.01))

        assert (await finished(runner, job)).status is JobStatus.SUCCEEDED


async def test_a_task_s_own_timeout_wins_over_the_setting(runner: JobRunner) -> None:
    job = await runner.submit(impatient_echo_task, EchoInput(text="slow", delay=30))

    with anyio.fail_after(5):
        job = await finished(runner, job)

    assert job.error == "JobTimeout: the job did not finish within 0.2 s."


async def test_a_cpu_job_past_its_time_limit_has_its_worker_killed(
    runner: JobRunner, tmp_path: Path
) -> None:
    # A first job starts the worker process, so the time limit is all the task's.
    await finished(runner, await runner.submit(primes_task, PrimesInput(below=10)))
    pid_file = tmp_path / "pid"

    job = await runner.submit(hang_cpu_task, HangInput(pid_file=str(pid_file)))
    job = await finished(runner, job)

    assert job.error == "JobTimeout: the job did not finish within 1 s."
    pid = int(await anyio.Path(pid_file).read_text())
    for _ in range(100):
        if not pid_alive(pid):
            break
        await anyio.sleep(0.05)
    assert not pid_alive(pid)
    # The next cpu job gets a new worker process.
    next_job = await runner.submit(primes_task, PrimesInput(below=10))
    after = await finished(runner, next_job)
    assert after.status is JobStatus.SUCCEEDED
    assert after.result["pid"] != pid


async def test_closing_the_runner_fails_unfinished_jobs(settings: Settings) -> None:
    async with JobRunner(settings) as runner:
        job = await runner.submit(echo_task, EchoInput(text="slow", delay=30))
        with anyio.fail_after(10):
            running = await runner.get(job.id)
            while running is not None and running.status is JobStatus.QUEUED:
                await anyio.sleep(0.01)
                running = await runner.get(job.id)
        assert running is not None and running.status is JobStatus.RUNNING

    stored = await runner.get(job.id)
    assert stored is not None and stored.status is JobStatus.FAILED
    assert stored.error is not None and stored.error.startswith("Cancelled")


async def test_submit_refuses_when_every_stored_job_is_unfinished(
    settings: Settings,
) -> None:
    async with JobRunner(settings.model_copy(update={"job_store_max": 1})) as runner:
        await runner.submit(echo_task, EchoInput(text="slow", delay=30))

        with pytest.raises(JobStoreFullError):
            await runner.submit(echo_task, EchoInput(text="one more"))


async def test_unfinished_jobs_inputs_are_bounded_and_released_when_they_end(
    settings: Settings,
) -> None:
    limited = {"job_inputs_max_bytes": 1000, "max_body_bytes": 1000}
    async with JobRunner(settings.model_copy(update=limited)) as runner:
        slow = await runner.submit(echo_task, EchoInput(text="slow", delay=30), 600)
        quick = await runner.submit(echo_task, EchoInput(text="quick"), 400)

        with pytest.raises(JobStoreFullError, match="hold 1000 bytes of input"):
            await runner.submit(echo_task, EchoInput(text="one more"), 1)
        assert (await finished(runner, quick)).status is JobStatus.SUCCEEDED
        # The quick job's 400 bytes are free again; the slow job still holds 600.
        await runner.submit(echo_task, EchoInput(text="fits"), 400)
        with pytest.raises(JobStoreFullError):
            await runner.submit(echo_task, EchoInput(text="one more"), 1)
        assert (await runner.get(slow.id)) is not None


class SlowStore(InMemoryJobStore):
    """A store that takes its time to add a job, as a database store does."""

    async def add(self, job: Job) -> None:
        await anyio.sleep(0.01)
        await super().add(job)


async def test_jobs_submitted_at_once_cannot_pass_the_inputs_bound_together(
    settings: Settings,
) -> None:
    limited = settings.model_copy(
        update={"job_inputs_max_bytes": 1000, "max_body_bytes": 1000}
    )
    store = SlowStore(limited.job_store_max, limited.job_ttl_s)
    outcomes: list[str] = []

    async def submit(runner: JobRunner) -> None:
        try:
            await runner.submit(echo_task, EchoInput(text="slow", delay=30), 600)
            outcomes.append("accepted")
        except JobStoreFullError:
            outcomes.append("refused")

    async with JobRunner(limited, store) as runner:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(submit, runner)

    assert sorted(outcomes) == ["accepted", "refused", "refused"]


async def test_submit_needs_an_open_runner(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await JobRunner(settings).submit(echo_task, EchoInput(text="hi"))


class StalledStore(InMemoryJobStore):
    """A store whose first save never ends, as a database that stopped answering;
    the runner's last save, shielded from the shutdown, is made at once."""

    def __init__(self, max_jobs: int, ttl: float) -> None:
        super().__init__(max_jobs, ttl)
        self.saving = anyio.Event()

    async def save(self, job: Job) -> None:
        if not self.saving.is_set():
            self.saving.set()
            await anyio.sleep_forever()
        await super().save(job)


@pytest.mark.parametrize("task", [echo_task, primes_task], ids=["io", "cpu"])
async def test_a_job_stopped_before_it_starts_leaves_no_coroutine_unawaited(
    settings: Settings, recwarn: pytest.WarningsRecorder, task: TaskSpec
) -> None:
    store = StalledStore(settings.job_store_max, settings.job_ttl_s)
    payload = EchoInput(text="hi") if task is echo_task else PrimesInput(below=10)
    async with JobRunner(settings, store) as runner:
        await runner.submit(task, payload)
        with anyio.fail_after(10):
            await store.saving.wait()  # marking the job running, for ever

    # The shutdown stopped the job there: its work was never begun, and no
    # coroutine for it was made ("coroutine ... was never awaited").
    gc.collect()
    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []
