import asyncio


async def gather_all() -> list[int]:
    return [1, 2]


def fetch_all_sync() -> list[int]:
    return asyncio.run(gather_all())


def run_blocking(coro):
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(coro)
