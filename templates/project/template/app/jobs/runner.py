"""Runs tasks as background jobs: `io` tasks on the event loop, `cpu` ones in processes.

Jobs are in-process and in-memory (see `app.jobs.store` for what that costs and when
Celery is the better tool). The runner is opened and closed by the app's lifespan;
closing it cancels unfinished jobs, which are then stored as failed.
"""

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from types import TracebackType
from typing import Any

import anyio
from anyio import to_thread
from anyio.abc import TaskGroup
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from app.core.config import Settings
from app.jobs.models import Job, TaskSpec
from app.jobs.store import JobStore

logger = logging.getLogger(__name__)


class JobRunner:
    """Starts jobs in the background and keeps their records."""

    def __init__(self, settings: Settings) -> None:
        self.store = JobStore(settings.job_store_max)
        self._cpu_workers = settings.cpu_workers
        self._pool: ProcessPoolExecutor | None = None
        self._cpu_slots: anyio.CapacityLimiter | None = None
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> "JobRunner":
        # "spawn" starts each worker from a fresh interpreter: forking a process
        # that runs an event loop and threads can leave the child deadlocked.
        # Workers start on first use; making the pool's pipes and locks is still
        # blocking work, so it happens in a thread.
        self._pool = await to_thread.run_sync(
            partial(
                ProcessPoolExecutor,
                max_workers=self._cpu_workers,
                mp_context=multiprocessing.get_context("spawn"),
            )
        )
        # The pool gets one job per worker, so `running` means a worker has it and
        # waiting jobs stay `queued`.
        self._cpu_slots = anyio.CapacityLimiter(self._cpu_workers)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._task_group is not None and self._pool is not None
        self._task_group.cancel_scope.cancel()
        try:
            await self._task_group.__aexit__(exc_type, exc, traceback)
        finally:
            # A cpu job already running in a worker cannot be interrupted: shutdown
            # waits for it (its result is dropped) and discards queued ones.
            await to_thread.run_sync(
                partial(self._pool.shutdown, wait=True, cancel_futures=True)
            )
            self._task_group = None

    def submit(self, spec: TaskSpec, payload: BaseModel) -> Job:
        """Store a queued job running `spec` on `payload` and start it.

        Raises `JobStoreFullError` when every stored job is still unfinished.
        """
        if self._task_group is None:
            msg = "JobRunner is not open: use it with `async with`"
            raise RuntimeError(msg)
        job = Job(name=spec.name)
        self.store.add(job)
        self._task_group.start_soon(
            self._run, job, spec, payload, name=f"job {job.id} ({spec.name})"
        )
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with `job_id`, or None if unknown."""
        return self.store.get(job_id)

    async def _run(self, job: Job, spec: TaskSpec, payload: BaseModel) -> None:
        """Run one job to a final status; nothing but cancellation escapes."""
        try:
            if spec.kind == "cpu":
                result = await self._run_in_process(job, spec, payload)
            else:
                job.start()
                result = await spec.func(payload)
            job.succeed(jsonable_encoder(result))
        except anyio.get_cancelled_exc_class():
            job.fail("Cancelled: the server shut down before the job finished.")
            raise
        except Exception as exc:
            # Escaping, it would tear down the task group and every other job with
            # it; logged with the job id, the traceback matches what `GET` shows.
            logger.exception("Job %s (%s) failed", job.id, job.name)
            job.fail(f"{type(exc).__name__}: {exc}")
        else:
            logger.info("Job %s (%s) succeeded", job.id, job.name)

    async def _run_in_process(
        self, job: Job, spec: TaskSpec, payload: BaseModel
    ) -> Any:
        assert self._cpu_slots is not None and self._pool is not None
        async with self._cpu_slots:
            job.start()
            # submit() may start a worker process, which blocks, so it runs in a
            # thread; the result is then awaited without holding a thread. The
            # app runs on asyncio, whose wrap_future bridges the pool's future.
            future = await to_thread.run_sync(self._pool.submit, spec.func, payload)
            return await asyncio.wrap_future(future)
