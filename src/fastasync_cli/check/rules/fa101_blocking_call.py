"""FA101 blocking-call

## What it does
Finds a blocking call (`time.sleep`, `requests`, `urllib`, sockets, `subprocess`, file
I/O, synchronous Redis, `boto3`, `smtplib`, ...) made on the event loop: in an
`async def`, directly or through any number of plain `def` helpers, across the modules
of the analysed code. The finding is on the line of the `async def` where the chain
starts, the call of the first helper, because that is where it is fixed; the message
shows the whole chain (`handler -> app.services.fetch -> app.http_util.get ->
requests.get`).

## Why is this bad?
An `async def` endpoint runs on the event loop, which serves every request of the
process. While one call blocks it, no other request makes progress: one `requests.get`
of 2 s makes every request in flight wait 2 s.

## Example
```python
# app/services.py
def fetch_profile(user_id: int) -> dict:
    return requests.get(f"https://api.example.com/users/{user_id}").json()

# app/routes.py
@router.get("/users/{user_id}")
async def read_user(user_id: int) -> dict:
    return fetch_profile(user_id)  # FA101
```

## Use instead
Await an async library (a shared `httpx.AsyncClient`), make the endpoint a plain `def`
(FastAPI runs it in its threadpool), or offload the call:
```python
@router.get("/users/{user_id}")
async def read_user(user_id: int) -> dict:
    return await anyio.to_thread.run_sync(fetch_profile, user_id)
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA101",
    name="blocking-call",
    summary="A blocking call reached from an async function",
    fix="await an async library instead, make the endpoint a plain `def`, or offload it "
    "with `anyio.to_thread.run_sync` (practice: no blocking calls in `async def`)",
    doc=__doc__ or "",
)
