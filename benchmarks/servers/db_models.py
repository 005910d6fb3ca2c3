"""The benchmark's one table, shared by every variant of db_app.py and by db_load.py.

`items`: the table a generated endpoint `items name:str price:float` has: a UUID key
made by the app (`uuid4`), a name of up to 255 characters, a double-precision price
and timezone-aware created/updated times, so that every variant runs the generated
project's queries on the same data.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import DateTime, Double, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# WAL lets readers run while one connection writes; the busy timeout makes a writer
# wait for the lock instead of failing with "database is locked".
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


def sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def create_schema(url: str) -> None:
    """Create the table at `url` (a synchronous SQLAlchemy URL: psycopg or sqlite)."""
    engine = create_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
