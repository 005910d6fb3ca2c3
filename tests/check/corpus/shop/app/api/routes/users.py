from time import sleep as pause
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from app.api.deps import CurrentUser
from app.db import SessionDep, count_rows
from app.models import User
from app.repositories import UserStore
from app.services.users import CachedUsers, UserRepository, hash_password, verify_password

router = APIRouter(prefix="/users", tags=["users"])
cache = CachedUsers()


class SignUp(BaseModel):
    email: str
    password: str


@router.get("/{user_id}")
async def read_user(user_id: int, db: SessionDep) -> dict:
    repository = UserRepository(db)
    user = repository.get(user_id)  # expect: FA103
    return {"id": user.id if user else None}


@router.get("/{user_id}/sync")
def read_user_sync(user_id: int, db: SessionDep) -> dict:
    user = UserRepository(db).get(user_id)
    return {"id": user.id if user else None}


@router.get("/{user_id}/cached")
async def read_cached_user(user_id: int) -> dict:
    user = cache.get(user_id)
    return {"id": user.id if user else None}


@router.post("/")
async def sign_up(body: SignUp, db: SessionDep) -> dict:
    user = User(email=body.email, password_hash=hash_password(body.password))  # expect: FA106
    repository = UserRepository(db)
    repository.add(user)
    repository.save(user)  # expect: FA103
    return {"id": user.id}


@router.post("/offloaded")
async def sign_up_offloaded(body: SignUp) -> dict:
    hashed = await anyio.to_thread.run_sync(hash_password, body.password)
    return {"hash": hashed.decode()}


@router.post("/login")
async def login(body: SignUp, user: CurrentUser) -> dict:
    if not verify_password(body.password, user):  # expect: FA106
        pause(1)  # expect: FA101
    return {"ok": True}


@router.get("/count")
async def user_count() -> int:
    return count_rows()  # expect: FA103


def get_user_store(request: Request) -> UserStore:
    return request.state.user_store


@router.get("/")
async def list_users(store: Annotated[UserStore, Depends(get_user_store)]) -> list[dict]:
    alive = store.ping()
    return [{"id": user.id, "alive": alive} for user in store.list_users()]  # expect: FA103
