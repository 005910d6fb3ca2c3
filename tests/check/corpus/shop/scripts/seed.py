"""A one-off script: it owns its loop, and nothing here serves requests."""

import asyncio
import time

import httpx
import requests


async def seed() -> None:
    async with httpx.AsyncClient() as client:
        await client.post("http://localhost:8000/users", json={"email": "a@example.com"})


def wait_for_server() -> None:
    while requests.get("http://localhost:8000/health", timeout=1).status_code != 200:
        time.sleep(1)


if __name__ == "__main__":
    wait_for_server()
    asyncio.run(seed())
