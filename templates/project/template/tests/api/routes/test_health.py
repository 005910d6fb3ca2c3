import httpx
import respx


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_calls_no_upstream(
    upstream: respx.MockRouter, client: httpx.AsyncClient
) -> None:
    await client.get("/health")

    assert {call.request.url.host for call in upstream.calls} == {"test"}
