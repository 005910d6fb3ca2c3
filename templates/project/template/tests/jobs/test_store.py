from datetime import timedelta

import pytest

from app.jobs import InMemoryJobStore, Job, JobStatus, JobStoreFullError
from app.jobs.models import utc_now


async def test_get_returns_a_copy_of_the_stored_job_or_none() -> None:
    store = InMemoryJobStore(max_jobs=2, ttl=60)
    job = Job(name="echo")
    await store.add(job)

    stored = await store.get(job.id)

    assert stored == job and stored is not job
    assert await store.get("unknown") is None


async def test_a_change_is_stored_by_save_only() -> None:
    store = InMemoryJobStore(max_jobs=2, ttl=60)
    job = Job(name="echo")
    await store.add(job)

    job.start()
    before = await store.get(job.id)
    await store.save(job)
    after = await store.get(job.id)

    assert before is not None and before.status is JobStatus.QUEUED
    assert after is not None and after.status is JobStatus.RUNNING


async def test_a_full_store_drops_the_job_that_finished_longest_ago() -> None:
    store = InMemoryJobStore(max_jobs=3, ttl=60)
    running, first_done, later_done = Job(name="a"), Job(name="b"), Job(name="c")
    for job in (running, later_done, first_done):
        await store.add(job)
    running.start()
    first_done.succeed(None)
    later_done.fail("boom")
    for job in (running, first_done, later_done):
        await store.save(job)

    await store.add(Job(name="d"))

    assert len(store) == 3
    assert await store.get(first_done.id) is None
    assert await store.get(running.id) == running
    assert await store.get(later_done.id) == later_done


async def test_a_store_of_unfinished_jobs_refuses_more() -> None:
    store = InMemoryJobStore(max_jobs=1, ttl=60)
    await store.add(Job(name="a"))

    with pytest.raises(JobStoreFullError) as caught:
        await store.add(Job(name="b"))

    assert caught.value.retry_after > 0


async def test_finished_jobs_expire_after_the_ttl() -> None:
    store = InMemoryJobStore(max_jobs=10, ttl=60)
    old, recent, running = Job(name="old"), Job(name="recent"), Job(name="running")
    for job in (old, recent, running):
        await store.add(job)
        job.start()
    old.succeed(None)
    old.finished_at = utc_now() - timedelta(seconds=61)
    recent.succeed(None)
    for job in (old, recent, running):
        await store.save(job)

    assert await store.get(old.id) is None
    assert await store.get(recent.id) == recent
    assert await store.get(running.id) == running
    # Adding a job deletes the expired ones.
    await store.add(Job(name="new"))
    assert len(store) == 3


@pytest.mark.parametrize(("max_jobs", "ttl"), [(0, 60), (1, 0), (1, -1)])
def test_limits_must_make_sense(max_jobs: int, ttl: float) -> None:
    with pytest.raises(ValueError, match="max_jobs"):
        InMemoryJobStore(max_jobs=max_jobs, ttl=ttl)
