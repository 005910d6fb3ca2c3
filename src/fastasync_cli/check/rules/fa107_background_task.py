"""FA107 heavy-background-task

## What it does
Finds `BackgroundTasks.add_task(func, ...)` (and `BackgroundTask(func, ...)`) where
`func` is a plain `def` that does CPU-heavy or long blocking work: sleeping, running
subprocesses, hashing passwords, processing images, copying trees, directly or through
its helpers.

## Why is this bad?
A plain `def` background task runs in the same threadpool as plain `def` endpoints
and dependencies (40 threads by default). Long tasks hold its threads and requests
queue behind them; CPU-heavy ones also hold the GIL and slow the event loop itself.
And the work is lost if the process restarts.

## Example
```python
def render_thumbnails(paths: list[str]) -> None:
    for path in paths:
        Image.open(path).thumbnail((128, 128))

@router.post("/albums")
async def upload(paths: list[str], background_tasks: BackgroundTasks) -> dict:
    background_tasks.add_task(render_thumbnails, paths)  # FA107
    return {"status": "accepted"}
```

## Use instead
A job: `POST` answers `202 Accepted` with the job's id, and the work runs in a process
pool owned by the lifespan or in a Celery worker (`fastasync add task NAME --kind
cpu`).
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA107",
    name="heavy-background-task",
    summary="A background task doing CPU-heavy or long blocking work in the threadpool",
    fix="run it as a job in a process pool or a Celery worker, answering 202 (practice: "
    "CPU-heavy and long work never in the shared threadpool)",
    doc=__doc__ or "",
)
