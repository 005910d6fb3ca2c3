"""FA105 nested-event-loop

## What it does
Finds `asyncio.run()`, `loop.run_until_complete()`, `asyncio.Runner.run()`,
`anyio.run()`, `trio.run()`, `asgiref`'s `async_to_sync()` and
`anyio.from_thread.run()` reached from an `async def`, directly or through plain
`def` helpers.

## Why is this bad?
They start or wait on an event loop from the thread that is already running one:
`asyncio.run` raises `RuntimeError: asyncio.run() cannot be called from a running
event loop`, and the others either raise or block the running loop until the nested
work is done.

## Example
```python
def sync_wrapper(url: str) -> bytes:
    return asyncio.run(download(url))

@router.get("/proxy")
async def proxy(url: str) -> Response:
    return Response(sync_wrapper(url))  # FA105
```

## Use instead
Await the coroutine:
```python
@router.get("/proxy")
async def proxy(url: str) -> Response:
    return Response(await download(url))
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA105",
    name="nested-event-loop",
    summary="An event loop started or waited on inside a running one",
    fix="`await` the coroutine instead (practice: never `asyncio.run` or "
    "`run_until_complete` inside `async def`)",
    doc=__doc__ or "",
)
