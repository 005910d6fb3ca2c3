from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from app.db import lookup_token
from app.services.weather import WeatherApi


async def get_current_user(authorization: Annotated[str, Header()]) -> str:
    user = lookup_token(authorization)  # expect: FA103
    if user is None:
        raise HTTPException(401)
    return user


def get_current_user_sync(authorization: Annotated[str, Header()]) -> str:
    # A plain `def` dependency runs in the threadpool: fine.
    user = lookup_token(authorization)
    if user is None:
        raise HTTPException(401)
    return user


async def get_weather_api(request: Request) -> WeatherApi:
    return request.state.weather


CurrentUser = Annotated[str, Depends(get_current_user)]
WeatherApiDep = Annotated[WeatherApi, Depends(get_weather_api)]
