import httpx
from fastapi import APIRouter, Request

from app.api.deps import WeatherApiDep
from app.services.weather import LazyUpstream, WeatherService, make_client, shared_client

router = APIRouter(prefix="/weather", tags=["weather"])
upstream = LazyUpstream()
module_client = httpx.AsyncClient()


@router.get("/forecast")
async def forecast(city: str) -> dict:
    service = WeatherService()
    return service.forecast(city)  # expect: FA101


@router.get("/forecast/async")
async def forecast_async(city: str) -> dict:
    async with httpx.AsyncClient() as client:  # expect: FA102
        response = await client.get("https://weather.example.com", params={"q": city})
    return response.json()


@router.get("/forecast/shared")
async def forecast_shared(city: str, request: Request) -> dict:
    response = await request.state.http.get("/forecast", params={"q": city})
    return response.json()


@router.get("/forecast/api")
async def forecast_api(city: str, api: WeatherApiDep) -> dict:
    return await api.forecast(city)


@router.get("/news")
async def news() -> dict:
    client = make_client()
    response = await client.get("https://news.example.com")
    return response.json()


@router.get("/news/lazy")
async def news_lazy() -> dict:
    response = await upstream.client().get("https://news.example.com")
    return response.json()


@router.get("/news/module")
async def news_module() -> dict:
    response = await module_client.get("https://news.example.com")
    return response.json()


@router.get("/news/cached")
async def news_cached() -> dict:
    response = await shared_client().get("/")
    return response.json()
