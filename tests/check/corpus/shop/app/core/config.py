from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings

BASE_DIR = Path(__file__).parent.parent


class Settings(BaseSettings):
    database_url: str = "sqlite:///shop.db"
    smtp_host: str = "localhost"


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def load_banner() -> str:
    # Read once and cached: not reported.
    return (BASE_DIR / "banner.txt").read_text()
