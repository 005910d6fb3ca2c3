"""The right way: an async engine and sessions, awaited. Nothing here is reported."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.models import User

engine = create_async_engine("postgresql+asyncpg://localhost/shop")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


AsyncSessionDep = Annotated[AsyncSession, Depends(get_session)]


async def list_users(session: AsyncSessionDep) -> list[User]:
    result = await session.execute(select(User))
    return list(result.scalars().all())


async def count_users(session: AsyncSessionDep) -> int:
    async with session.begin():
        return len(await session.scalars(select(User)).all())


def run_migrations_online() -> None:
    # Alembic's async env.py: a script, at module level.
    asyncio.run(migrate())


async def migrate() -> None:
    async with engine.connect() as connection:
        await connection.run_sync(lambda sync: None)


if __name__ == "__main__":
    run_migrations_online()
