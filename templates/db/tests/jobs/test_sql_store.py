"""The job store on the database: shared between processes, kept across restarts."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import NoReturn

import anyio
import pytest
from sqlalchemy import update

from app.core.config import Settings
from app.db.database import Database
from app.jobs import Job, JobStatus, JobStoreFullError, JobStoreUnavailableError
from app.jobs.models import utc_now
from app.jobs.sql_store import LOST_MESSAGE, SqlJobStore
from app.models.job import JobRecord

SLOW = 3600.0  # a heartbeat that never comes within a test


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    async with Database(settings) as database:
        yield database


async def set_heartbeat(database: Database, job_id: str, age: timedelta) -> None:
    async with database.sessions.begin() as session:
        await session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id)
            .values(heartbeat_at=utc_now() - age)
        )


async def test_a_job_one_process_stores_is_read_by_another(database: Database) -> None:
    async with (
        SqlJobStore(database, 10, 60, heartbeat=SLOW) as one,
        SqlJobStore(database, 10, 60, heartbeat=SLOW) as other,
    ):
        job = Job(name="report")
        await one.add(job)
        assert await other.get(job.id) == job
        job.start()
        await one.save(job)
        job.succeed({"rows": [1, 2]})
        await one.save(job)
        assert await other.get(job.id) == job
        assert await other.get("no-such-job") is None


async def test_a_job_whose_process_died_shows_as_failed(database: Database) -> None:
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as store:
        job = Job(name="report")
        await store.add(job)
        job.start()
        await store.save(job)
    # The process is gone: its heartbeats stopped long ago.
    await set_heartbeat(database, job.id, timedelta(hours=3))
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as restarted:
        lost = await restarted.get(job.id)
        assert lost is not None
        assert lost.status is JobStatus.FAILED
        assert lost.error == LOST_MESSAGE
        assert lost.finished_at is not None
    async with database.sessions() as session:
        record = await session.get(JobRecord, job.id)
        assert record is not None and record.status == "failed"


async def heartbeat_age(database: Database, job_id: str) -> timedelta:
    async with database.sessions() as session:
        record = await session.get(JobRecord, job_id)
        assert record is not None
        return utc_now() - record.heartbeat_at


async def test_heartbeats_keep_a_running_job_alive(database: Database) -> None:
    async with SqlJobStore(database, 10, 60, heartbeat=0.5) as store:
        job = Job(name="report")
        await store.add(job)
        # As if this process had missed its beats: the next one renews the job.
        # Waiting for that beat, not for a set time, keeps the test exact on a
        # busy machine.
        await set_heartbeat(database, job.id, timedelta(hours=1))
        with anyio.fail_after(30):
            age = await heartbeat_age(database, job.id)
            while age > store.lost_after:
                await anyio.sleep(0.05)
                age = await heartbeat_age(database, job.id)
        kept = await store.get(job.id)
        assert kept is not None and kept.status is JobStatus.QUEUED


async def test_a_full_store_drops_the_job_that_finished_longest_ago(
    database: Database,
) -> None:
    async with SqlJobStore(database, 2, 60, heartbeat=SLOW) as store:
        first, second = Job(name="a"), Job(name="b")
        for job in (first, second):
            await store.add(job)
            job.succeed(None)
            await store.save(job)
        await store.add(Job(name="c"))
        assert await store.get(first.id) is None
        assert await store.get(second.id) is not None
        await store.add(Job(name="d"))
        assert await store.get(second.id) is None
        # Both jobs kept are unfinished: none can make room.
        with pytest.raises(JobStoreFullError):
            await store.add(Job(name="e"))


async def test_finished_jobs_expire_after_the_ttl(database: Database) -> None:
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as store:
        job = Job(name="a")
        await store.add(job)
        job.succeed(None)
        job.finished_at = utc_now() - timedelta(seconds=61)
        await store.save(job)
        assert await store.get(job.id) is None


@pytest.mark.parametrize("job_id", ["a\x00b", "\x00" * 32, "f" * 33, "x" * 10_000])
async def test_an_id_no_job_can_have_is_unknown(database: Database, job_id: str) -> None:
    # Path parameters are any text: NUL, which PostgreSQL refuses in text, included.
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as store:
        assert await store.get(job_id) is None


async def test_a_result_keeps_any_text(database: Database) -> None:
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as store:
        job = Job(name="text")
        await store.add(job)
        job.start()
        job.succeed({"text": "NUL \x00, a lone surrogate \ud800, and \u00e9"})
        await store.save(job)
        stored = await store.get(job.id)
        assert stored is not None
        assert stored.status == JobStatus.SUCCEEDED
        assert stored.result == job.result


async def test_a_database_that_fails_makes_the_store_unavailable(
    database: Database,
) -> None:
    async with SqlJobStore(database, 10, 60, heartbeat=SLOW) as store:
        await database.engine.dispose()
        await anyio.to_thread.run_sync(_break, database)
        with pytest.raises(JobStoreUnavailableError):
            await store.get("any")


def _break(database: Database) -> None:
    """Give `database` sessions whose every connection fails, as when it is down."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    async def refuse() -> NoReturn:
        raise OSError("connection refused")

    # Not a made-up file or port: aiosqlite starts a thread for each connection,
    # and the one of a failed connection can outlive the test's event loop (then
    # pytest warns of an "Event loop is closed" in that thread).
    engine = create_async_engine(database.engine.url, async_creator=refuse)
    database.sessions = async_sessionmaker(engine)
