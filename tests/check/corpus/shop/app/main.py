from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.routes import orders, profiles, users, weather
from app.core.config import load_banner
from app.media import read_template
from app.services.weather import WeatherApi, make_lifespan_clients


@asynccontextmanager
async def app_lifespan(app: FastAPI) -> AsyncIterator[dict]:
    clients = make_lifespan_clients()
    # Blocking at start-up delays no request: not reported.
    read_template("startup")
    yield {"weather": WeatherApi(), "clients": clients, "banner": load_banner()}
    for client in clients.values():
        await client.aclose()


app = FastAPI(lifespan=app_lifespan)
for module in (orders, profiles, users, weather):
    app.include_router(module.router)
