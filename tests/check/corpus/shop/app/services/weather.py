from functools import lru_cache

import httpx


class WeatherService:
    """Builds its own client: fine once, wasteful per request."""

    def __init__(self) -> None:
        self.client = httpx.Client(base_url="https://weather.example.com")  # expect: FA102

    def forecast(self, city: str) -> dict:
        return self.client.get("/forecast", params={"q": city}).json()


class WeatherApi:
    """Built once in the lifespan: its client is shared."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(base_url="https://weather.example.com")

    async def forecast(self, city: str) -> dict:
        response = await self.http.get("/forecast", params={"q": city})
        return response.json()


class LazyUpstream:
    """Builds its client on first use and keeps it."""

    _client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client


def make_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10)  # expect: FA102


def make_lifespan_clients() -> dict[str, httpx.AsyncClient]:
    return {"news": httpx.AsyncClient(base_url="https://news.example.com")}


@lru_cache
def shared_client() -> httpx.AsyncClient:
    # Built on first use, then the same client for every call.
    return httpx.AsyncClient(base_url="https://news.example.com")
