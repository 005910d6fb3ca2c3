"""The environment variables `Settings` reads, as pydantic-settings names them."""

from __future__ import annotations

import pytest

from fastasync_cli.engine.settings_env import EnvNames, env_names

CONFIG = """\
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict({config})

    redis_url: str = "redis://localhost:6379/0"
"""


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('env_file=".env"', EnvNames()),
        ('env_prefix="APP_", env_file=".env"', EnvNames("APP_")),
        ("env_prefix='svc_' 'a_'", EnvNames("svc_a_")),
        ('env_prefix="APP_", case_sensitive=True', EnvNames("APP_", case_sensitive=True)),
        ("case_sensitive=False", EnvNames()),
    ],
    ids=["none", "prefix", "concatenated", "case-sensitive", "case-insensitive"],
)
def test_literal_settings_are_read(config: str, expected: EnvNames) -> None:
    assert env_names(CONFIG.format(config=config)) == expected


def test_a_dict_model_config_is_read_too() -> None:
    source = CONFIG.replace("SettingsConfigDict({config})", '{{"env_prefix": "X_"}}')
    assert env_names(source.format()) == EnvNames("X_")


@pytest.mark.parametrize(
    ("config", "unknown"),
    [
        (
            "env_prefix=PREFIX",
            "`env_prefix` of Settings in app/core/config.py is not a literal string",
        ),
        (
            'env_prefix=f"{NAME}_"',
            "`env_prefix` of Settings in app/core/config.py is not a literal string",
        ),
        (
            "case_sensitive=SENSITIVE",
            "`case_sensitive` of Settings in app/core/config.py is not True or False",
        ),
        (
            "**BASE",
            "`model_config` of Settings in app/core/config.py is not a "
            "`SettingsConfigDict(...)` call",
        ),
    ],
    ids=["name", "f-string", "case-sensitive", "spread"],
)
def test_values_computed_at_run_time_make_the_names_unknown(config: str, unknown: str) -> None:
    found = env_names(CONFIG.format(config=config))
    assert found.unknown is not None
    assert found.unknown.startswith(unknown)


def test_names_get_the_prefix_where_they_name_a_setting() -> None:
    env = EnvNames("APP_")
    text = "# REDIS_URL=x\nTEST_REDIS_URL and REDIS_URLS stay; `REDIS_URL`, REDIS_URL: y\n"
    assert env.rename(text, ["redis_url"]) == (
        "# APP_REDIS_URL=x\nTEST_REDIS_URL and REDIS_URLS stay; `APP_REDIS_URL`, APP_REDIS_URL: y\n"
    )
    assert EnvNames("app_").name("redis_url") == "APP_REDIS_URL"
    assert EnvNames("app_", case_sensitive=True).name("REDIS_URL") == "app_redis_url"
    assert EnvNames().rename(text, ["redis_url"]) == text
