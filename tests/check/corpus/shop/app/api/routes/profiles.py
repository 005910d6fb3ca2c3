import asyncio

import anyio
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from app.core.http_util import download
from app.services import fetch_profile
from app.services.profiles import fetch_profile_patiently

router = APIRouter(prefix="/profiles", tags=["profiles"])


@router.get("/{user_id}")
async def read_profile(user_id: int) -> dict:
    return fetch_profile(user_id)  # expect: FA101


@router.get("/{user_id}/patient")
async def read_profile_patiently(user_id: int) -> dict:
    profile = fetch_profile_patiently(user_id)  # expect: FA101
    return profile


@router.get("/{user_id}/threaded")
async def read_profile_threaded(user_id: int) -> dict:
    return await asyncio.to_thread(fetch_profile, user_id)


@router.get("/{user_id}/anyio")
async def read_profile_anyio(user_id: int) -> dict:
    return await anyio.to_thread.run_sync(fetch_profile, user_id)


@router.get("/{user_id}/threadpool")
async def read_profile_threadpool(user_id: int) -> dict:
    return await run_in_threadpool(fetch_profile, user_id)


@router.get("/{user_id}/executor")
async def read_profile_executor(user_id: int) -> dict:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, fetch_profile, user_id)


@router.get("/{user_id}/lambda")
async def read_profile_lambda(user_id: int) -> dict:
    return await anyio.to_thread.run_sync(lambda: fetch_profile(user_id))


@router.get("/{user_id}/sync")
def read_profile_sync(user_id: int) -> dict:
    # A plain `def` endpoint runs in the threadpool.
    return fetch_profile(user_id)


@router.post("/{user_id}/avatar")
async def fetch_avatar(user_id: int, url: str) -> None:
    download(url, f"/tmp/{user_id}.png")  # expect: FA101
