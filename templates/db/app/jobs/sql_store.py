"""Job records in the database: every server process sees every job, restarts keep them.

A job still runs in the process that started it (its io work on that process's
event loop, its cpu work in that process's workers). While it is queued or
running, that process renews the job's `heartbeat_at` every `heartbeat` seconds.
A job whose heartbeat is older than `LOST_AFTER_HEARTBEATS` beats was lost with its
process (killed, or the machine went down): it is then shown, and stored, as failed
with a reason. A clean shutdown fails its unfinished jobs itself (see the runner).

Limits as in `JobStore`: at most `max_jobs` records, finished ones expiring after
`ttl` seconds. Several processes adding at once may pass `max_jobs` by a few.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from types import TracebackType

import anyio
from anyio.abc import TaskGroup
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.database import Database
from app.jobs.models import Job, JobStatus, utc_now
from app.jobs.store import JobStore, JobStoreFullError, JobStoreUnavailableError
from app.models.job import JOB_ID_LENGTH, JobRecord

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
LOST_AFTER_HEARTBEATS = 3
LOST_MESSAGE = "Lost: the server process running the job stopped before it finished."


class SqlJobStore(JobStore):
    """Jobs in the `jobs` table; open it with `async with` to renew heartbeats."""

    def __init__(
        self,
        database: Database,
        max_jobs: int,
        ttl: float,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        super().__init__(max_jobs, ttl)
        self._database = database
        self.heartbeat = heartbeat
        # This process's unfinished jobs, whose heartbeats it renews.
        self._unfinished: set[str] = set()
        self._adding = anyio.Lock()
        self._task_group: TaskGroup | None = None

    @property
    def lost_after(self) -> timedelta:
        """How old a heartbeat may be before its job counts as lost."""
        return timedelta(seconds=self.heartbeat * LOST_AFTER_HEARTBEATS)

    async def __aenter__(self) -> "SqlJobStore":
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._beat, name="job heartbeats")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        await self._task_group.__aexit__(exc_type, exc, traceback)
        self._task_group = None

    async def add(self, job: Job) -> None:
        # One add at a time in this process keeps `max_jobs` exact here.
        async with self._adding, self._transaction() as session:
            # Writing first takes the database's write lock (SQLite) before the
            # counting, so no other writer can slip in between.
            session.add(JobRecord(id=job.id, heartbeat_at=utc_now(), **_values(job)))
            await session.flush()
            if await self._count(session) > self.max_jobs:
                await self._make_room(session, job.id)
        if not job.finished:
            self._unfinished.add(job.id)

    async def save(self, job: Job) -> None:
        try:
            async with self._transaction() as session:
                await session.execute(
                    update(JobRecord)
                    .where(JobRecord.id == job.id)
                    .values(heartbeat_at=utc_now(), **_values(job))
                )
        finally:
            if job.finished:
                # Even when the final state could not be written: its heartbeats
                # stop, so the job shows as lost instead of running for ever.
                self._unfinished.discard(job.id)

    async def get(self, job_id: str) -> Job | None:
        if "\x00" in job_id or len(job_id) > JOB_ID_LENGTH:
            # No job has such an id; PostgreSQL refuses NUL in text (an error, not
            # "no such row"), and the client would get 503 instead of 404.
            return None
        async with self._transaction() as session:
            record = await session.get(JobRecord, job_id)
            if record is None:
                return None
            job = _job(record)
            if not job.finished and record.heartbeat_at < utc_now() - self.lost_after:
                job.fail(LOST_MESSAGE)
                for key, value in _values(job).items():
                    setattr(record, key, value)
        return None if self.expired(job) else job

    async def _count(self, session: AsyncSession) -> int:
        return await session.scalar(select(func.count()).select_from(JobRecord)) or 0

    async def _make_room(self, session: AsyncSession, new_id: str) -> None:
        """Fail lost jobs, drop expired ones, then the one that finished longest ago.

        Raises `JobStoreFullError` (which rolls the new job back) when every other
        job kept is unfinished.
        """
        now = utc_now()
        await session.execute(
            update(JobRecord)
            .where(
                JobRecord.finished_at.is_(None),
                JobRecord.heartbeat_at < now - self.lost_after,
                JobRecord.id != new_id,
            )
            .values(status=JobStatus.FAILED.value, error=LOST_MESSAGE, finished_at=now)
        )
        expired = now - timedelta(seconds=self.ttl)
        await session.execute(delete(JobRecord).where(JobRecord.finished_at < expired))
        if await self._count(session) <= self.max_jobs:
            return
        oldest = await session.scalar(
            select(JobRecord.id)
            .where(JobRecord.finished_at.is_not(None), JobRecord.id != new_id)
            .order_by(JobRecord.finished_at)
            .limit(1)
        )
        if oldest is None:
            msg = f"All {self.max_jobs} jobs kept are unfinished; try again later."
            raise JobStoreFullError(msg)
        await session.execute(delete(JobRecord).where(JobRecord.id == oldest))

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._database.sessions.begin() as session:
                yield session
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("Job store: the database failed: %s", type(exc).__name__)
            msg = "The job store's database is unavailable; try again later."
            raise JobStoreUnavailableError(msg) from exc

    async def _beat(self) -> None:
        while True:
            await anyio.sleep(self.heartbeat)
            if not self._unfinished:
                continue
            try:
                async with self._transaction() as session:
                    await session.execute(
                        update(JobRecord)
                        .where(JobRecord.id.in_(sorted(self._unfinished)))
                        .values(heartbeat_at=utc_now())
                    )
            except JobStoreUnavailableError:
                # Retried at the next beat; jobs count as lost only after several.
                continue


def _values(job: Job) -> dict[str, object]:
    return {
        "name": job.name,
        "status": job.status.value,
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _job(record: JobRecord) -> Job:
    return Job(
        id=record.id,
        name=record.name,
        status=JobStatus(record.status),
        result=record.result,
        error=record.error,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )
