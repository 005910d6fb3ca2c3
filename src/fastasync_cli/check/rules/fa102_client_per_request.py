"""FA102 client-per-request

## What it does
Finds an HTTP client (`httpx.AsyncClient`, `httpx.Client`, `aiohttp.ClientSession`,
`requests.Session`, the OpenAI and Anthropic clients, or a subclass of one) built per
request or per call: in an `async def` endpoint or dependency, or in a factory or an
`__init__` that such code reaches. The finding is on the construction.

Clients built at module level, in the lifespan (or only from code the lifespan and
module level call), in a `functools.cache`d factory, in test fixtures and tests, or
stored on a long-lived object after the first call (`self._client = ...` outside
`__init__`, a global, a class attribute; also what a factory returns there, as in
`async def __aenter__(self): self._client = make_client()`) are shared, and not
reported.

## Why is this bad?
A client holds the connection pool: a new one per request opens a new TCP and TLS
connection every time, and building one builds an SSL context, which reads the CA
bundle from disk. Measured with the seed's `async with httpx.AsyncClient()` in an
endpoint: about 20 requests/s where a shared client does hundreds.

## Example
```python
@router.get("/weather")
async def weather(city: str) -> dict:
    async with httpx.AsyncClient() as client:  # FA102
        return (await client.get(URL, params={"q": city})).json()
```

## Use instead
Open one client per upstream in the lifespan and share it:
```python
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient(timeout=httpx.Timeout(30)) as client:
        yield {"weather": client}

@router.get("/weather")
async def weather(city: str, request: Request) -> dict:
    return (await request.state.weather.get(URL, params={"q": city})).json()
```
"""

from fastasync_cli.check.rules import Rule

RULE = Rule(
    code="FA102",
    name="client-per-request",
    summary="An HTTP client created per request instead of shared",
    fix="create one client per upstream in the lifespan and share it (practice: one "
    "HTTP client per upstream)",
    doc=__doc__ or "",
)
