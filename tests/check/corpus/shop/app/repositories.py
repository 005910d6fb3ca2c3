from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User


class UserStore(Protocol):
    """The interface endpoints see; the implementation is chosen at start-up."""

    def list_users(self) -> list[User]: ...

    def ping(self) -> bool:
        raise NotImplementedError


class SqlUserStore(UserStore):
    def __init__(self, session: Session) -> None:
        self.session = session

    def list_users(self) -> list[User]:
        return list(self.session.scalars(select(User)))

    def ping(self) -> bool:
        return True


class MemoryUserStore(UserStore):
    def list_users(self) -> list[User]:
        return []
