"""Runs tasks as background jobs: `io` tasks on the event loop, `cpu` ones in processes.

Jobs run in this process, and their records are kept by a `JobStore` (in memory
unless the app passes another; see `app.jobs.store` for what that costs and when
Celery is the better tool). The runner is opened and closed by the app's lifespan;
closing it stops unfinished jobs, which are then stored as failed.

Every job has a time limit (`TaskSpec.timeout`, else the JOB_TIMEOUT_S setting),
counted from when it starts running. An `io` job past it is cancelled. A `cpu` job
past it has its worker process killed (a running Python function cannot be
stopped any other way); the next `cpu` job starts a fresh worker process.
"""

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import anyio
from anyio import to_process
from anyio.abc import TaskGroup
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from app.core.config import Settings
from app.jobs.models import Job, TaskSpec, failure_message
from app.jobs.store import InMemoryJobStore, JobStore, JobStoreFullError

logger = logging.getLogger(__name__)

SHUTDOWN_MESSAGE = "Cancelled: the server shut down before the job finished."


class JobRunner:
    """Starts jobs in the background and keeps their records in its `store`."""

    def __init__(self, settings: Settings, store: JobStore | None = None) -> None:
        # `is None`, not `or`: an empty InMemoryJobStore is falsy (its len is 0).
        if store is None:
            store = InMemoryJobStore(settings.job_store_max, settings.job_ttl_s)
        self.store = store
        self._timeout = settings.job_timeout_s
        # Bytes of the inputs of unfinished jobs, each held in memory until its job
        # finishes: at most JOB_INPUTS_MAX_BYTES together (see `submit`).
        self._inputs_max_bytes = settings.job_inputs_max_bytes
        self._inputs_bytes = 0
        # One slot per worker process: `running` means a worker has the job, and
        # waiting jobs stay `queued`. anyio's process pool gets its own limiter of
        # the same size (it must not share the one this runner holds).
        self._cpu_slots = anyio.CapacityLimiter(settings.cpu_workers)
        self._cpu_processes = anyio.CapacityLimiter(settings.cpu_workers)
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> "JobRunner":
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._task_group is not None
        # Cancels io jobs and kills the worker processes of running cpu jobs.
        self._task_group.cancel_scope.cancel()
        try:
            await self._task_group.__aexit__(exc_type, exc, traceback)
        finally:
            self._task_group = None

    async def submit(self, spec: TaskSpec, payload: BaseModel, size: int = 0) -> Job:
        """Store a queued job running `spec` on `payload`, start it, and return it.

        `size` is the payload's size as received, in bytes (the request body). Each
        job's payload stays in memory until the job finishes: with a thousand long
        jobs of a megabyte each, a gigabyte. Unfinished jobs' payloads may take
        JOB_INPUTS_MAX_BYTES together; past that, and when every stored job is still
        unfinished, `JobStoreFullError` (`JobStoreUnavailableError` when the store
        cannot be reached).
        """
        if self._task_group is None:
            msg = "JobRunner is not open: use it with `async with`"
            raise RuntimeError(msg)
        if self._inputs_bytes + size > self._inputs_max_bytes:
            msg = (
                f"Unfinished jobs hold {self._inputs_bytes} bytes of input, and "
                f"{self._inputs_max_bytes} at most; try again later."
            )
            raise JobStoreFullError(msg)
        job = Job(name=spec.name)
        self._inputs_bytes += size  # before the await: others submit meanwhile
        try:
            await self.store.add(job)
        except BaseException:
            self._inputs_bytes -= size
            raise
        self._task_group.start_soon(
            self._run_and_release,
            job,
            spec,
            payload,
            size,
            name=f"job {job.id} ({spec.name})",
        )
        return job

    async def _run_and_release(
        self, job: Job, spec: TaskSpec, payload: BaseModel, size: int
    ) -> None:
        try:
            await self._run(job, spec, payload)
        finally:
            self._inputs_bytes -= size

    async def get(self, job_id: str) -> Job | None:
        """The job with `job_id`, or None if unknown or expired."""
        return await self.store.get(job_id)

    async def _run(self, job: Job, spec: TaskSpec, payload: BaseModel) -> None:
        """Run one job to a final status; nothing but cancellation escapes."""
        timeout = spec.timeout or self._timeout
        try:
            if spec.kind == "cpu":
                async with self._cpu_slots:
                    work = functools.partial(self._in_process, spec, payload)
                    result = await self._run_timed(job, timeout, work)
            else:
                work = functools.partial(spec.func, payload)
                result = await self._run_timed(job, timeout, work)
        except anyio.get_cancelled_exc_class():
            job.fail(SHUTDOWN_MESSAGE)
            with anyio.CancelScope(shield=True):
                await self._save(job)
            raise
        except TimeoutError:
            logger.warning("Job %s (%s) timed out (%g s)", job.id, job.name, timeout)
            job.fail(f"JobTimeout: the job did not finish within {timeout:g} s.")
        except Exception as exc:
            # Escaping, it would tear down the task group and every other job with
            # it. The log gets the error and its traceback, under the job's id;
            # the job record only the error's type (see `failure_message`).
            logger.exception("Job %s (%s) failed", job.id, job.name)
            job.fail(failure_message(exc))
        else:
            job.succeed(result)
            logger.info("Job %s (%s) succeeded", job.id, job.name)
        await self._save(job)

    async def _run_timed(
        self, job: Job, limit: float, work: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Mark `job` running, then await `work()` for at most `limit` seconds.

        Raises TimeoutError only when the time limit stopped the job, never for a
        TimeoutError the task itself raised (that one fails the job as any error).
        `work` is called only once the job is marked running: a job stopped before
        (the server shutting down) leaves no coroutine that was never awaited.
        """
        job.start()
        await self._save(job)
        with anyio.move_on_after(limit):
            # The result is made JSON-ready here, so that a result that cannot be
            # fails the job instead of the store.
            return json_ready(await work())
        # Only reached when the time limit cancelled the work.
        raise TimeoutError

    async def _in_process(self, spec: TaskSpec, payload: BaseModel) -> Any:
        # anyio's process pool: fresh interpreters (never a fork of this process,
        # whose threads and event loop a child could deadlock on), reused between
        # jobs, and killed when the call is cancelled (time limit or shutdown).
        return await to_process.run_sync(
            spec.func, payload, cancellable=True, limiter=self._cpu_processes
        )

    async def _save(self, job: Job) -> None:
        """Save `job`; a store failure is logged, never fails the runner."""
        try:
            await self.store.save(job)
        except Exception:
            logger.exception("Job %s (%s): could not save its record", job.id, job.name)


def json_ready(result: Any) -> Any:
    """`result` as JSON holds it; ValueError if no JSON text (or UTF-8) can hold it.

    jsonable_encoder lets through NaN, the infinities and unpaired surrogates
    (`"\\udce9"`, from bytes decoded with "surrogateescape"): the API then showed
    NaN as null, answered every look at a job holding a surrogate with a 500, and
    PostgreSQL refused to store either (the job then showed as lost).
    """
    ready = jsonable_encoder(result)
    json.dumps(ready, allow_nan=False, ensure_ascii=False).encode()
    return ready
