import sqlite3
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings

engine = create_engine(get_settings().database_url)
SessionLocal = sessionmaker(bind=engine)


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


SessionDep = Annotated[Session, Depends(get_db)]


def lookup_token(token: str) -> str | None:
    connection = sqlite3.connect("tokens.db")
    row = connection.execute("select user from tokens where token = ?", (token,)).fetchone()
    return row[0] if row else None


def count_rows() -> int:
    with engine.connect() as connection:
        return connection.execute("select count(*) from items").scalar()
