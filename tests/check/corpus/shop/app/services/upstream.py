"""Clients made by factories: opened in `__aenter__` (shared), or per call."""

import httpx


def make_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url)


def new_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url)  # expect: FA102


class Upstream:
    """Entered once (in a lifespan) and shared: what `__aenter__` stores is kept."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Upstream":
        self._client = make_client(self.base_url)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()


async def per_call(base_url: str) -> int:
    client = new_client(base_url)
    async with client:
        return (await client.get("/")).status_code
