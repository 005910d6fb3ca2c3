"""The seed text's background-task pattern, for `loop_under_cpu`.

`POST /start-task/` adds a plain `def` task to FastAPI's `BackgroundTasks`, which
Starlette runs in the threadpool after the response is sent: CPU-heavy work there
holds the GIL and starves the event loop. The task does the same `burn(n)` as the
generated project's `cpu` task. Served by uvicorn like the generated app.
"""

from __future__ import annotations

from cpu_work import burn
from fastapi import BackgroundTasks, FastAPI, HTTPException

app = FastAPI()
STATUS: dict[int, str] = {}


def long_running_task(task_id: int, n: int) -> None:
    # The seed's shape: a sync function handed to BackgroundTasks.
    STATUS[task_id] = "running"
    burn(n)
    STATUS[task_id] = "succeeded"


@app.post("/start-task/")
async def start_task(task_id: int, n: int, background_tasks: BackgroundTasks) -> dict[str, str]:
    STATUS[task_id] = "queued"
    background_tasks.add_task(long_running_task, task_id, n)
    return {"message": "Task started in the background"}


@app.get("/tasks/{task_id}")
async def task_status(task_id: int) -> dict[str, str]:
    if task_id not in STATUS:
        raise HTTPException(404, "unknown task")
    return {"status": STATUS[task_id]}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
