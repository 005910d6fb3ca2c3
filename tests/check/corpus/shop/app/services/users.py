import bcrypt
from passlib.context import CryptContext
from sqlalchemy.orm import Session

from app.models import User

pwd_context = CryptContext(schemes=["bcrypt"])


def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt())


def verify_password(password: str, hashed: str) -> bool:
    return pwd_context.verify(password, hashed)


class UserRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, user_id: int) -> User | None:
        return self.db.get(User, user_id)

    def add(self, user: User) -> None:
        # Adding to the session does no I/O.
        self.db.add(user)

    def save(self, user: User) -> None:
        self.db.add(user)
        self.db.commit()


class CachedUsers:
    """Looks like a repository; is a dict."""

    def __init__(self) -> None:
        self._users: dict[int, User] = {}

    def get(self, user_id: int) -> User | None:
        return self._users.get(user_id)
