import pytest

from app.jobs import Job, JobStore, JobStoreFullError


def test_get_returns_the_stored_job_or_none() -> None:
    store = JobStore(max_jobs=2)
    job = Job(name="echo")
    store.add(job)

    assert store.get(job.id) is job
    assert store.get("unknown") is None


def test_a_full_store_drops_the_oldest_finished_job() -> None:
    store = JobStore(max_jobs=3)
    running, oldest_done, newer_done = Job(name="a"), Job(name="b"), Job(name="c")
    for job in (running, oldest_done, newer_done):
        store.add(job)
    running.start()
    oldest_done.succeed(None)
    newer_done.fail("boom")

    store.add(Job(name="d"))

    assert len(store) == 3
    assert store.get(oldest_done.id) is None
    assert store.get(running.id) is running
    assert store.get(newer_done.id) is newer_done


def test_a_store_of_unfinished_jobs_refuses_more() -> None:
    store = JobStore(max_jobs=1)
    store.add(Job(name="a"))

    with pytest.raises(JobStoreFullError):
        store.add(Job(name="b"))
