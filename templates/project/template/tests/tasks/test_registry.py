"""Checks on the tasks registered in `app.tasks.TASKS`."""

import pickle
from collections import Counter

from fastapi import FastAPI

from app.tasks import TASKS


def test_task_names_are_unique() -> None:
    names = Counter(spec.name for spec in TASKS)

    assert [name for name, count in names.items() if count > 1] == []


def test_cpu_tasks_can_be_sent_to_worker_processes() -> None:
    for spec in TASKS:
        if spec.kind == "cpu":
            pickle.dumps(spec.func)


def test_every_task_has_a_start_route(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    for spec in TASKS:
        assert "post" in paths[f"/api/jobs/{spec.name}"]
