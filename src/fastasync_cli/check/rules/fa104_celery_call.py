"""FA104 celery-call

## What it does
Finds Celery calls that talk to the broker or the result backend, reached from an
`async def`: `task.delay()`, `task.apply_async()`, `signature.delay()`,
`app.send_task()`, and `AsyncResult` look-ups (`get`, `wait`, `ready`, `forget`,
...).

## Why is this bad?
Publishing a message and reading a result are blocking socket I/O to Redis or
RabbitMQ. When the broker is slow or down, Celery retries connecting for a long
time, and the event loop, with every request on it, waits the whole time.

## Example
```python
@router.post("/reports")
async def create_report(spec: ReportSpec) -> dict:
    result = build_report.delay(spec.model_dump())  # FA104
    return {"id": result.id}
```

## Use instead
Run the call in a worker thread, with a deadline:
```python
@router.post("/reports")
async def create_report(spec: ReportSpec) -> dict:
    with anyio.fail_after(5):
        result = await anyio.to_thread.run_sync(build_report.delay, spec.model_dump())
    return {"id": result.id}
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA104",
    name="celery-call",
    summary="A Celery call that blocks the event loop",
    fix="run it in a worker thread with a deadline (`anyio.to_thread.run_sync` inside "
    "`anyio.fail_after`) (practice: Celery publishing and look-ups run off the loop)",
    doc=__doc__ or "",
)
