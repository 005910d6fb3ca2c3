"""The environment variables `Settings` reads, as pydantic-settings names them."""

from __future__ import annotations

from collections.abc import Callable

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


BASE_MODULE = """\
from pydantic_settings import BaseSettings, SettingsConfigDict


class Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="X_", case_sensitive={sensitive})
"""


def _reader(files: dict[str, str]) -> Callable[[str], str | None]:
    return files.get


def test_a_prefix_from_a_base_class_in_the_same_module_is_found() -> None:
    source = BASE_MODULE.format(sensitive=False) + (
        "\n\nclass Settings(Base):\n"
        '    model_config = SettingsConfigDict(env_file=".env")\n\n'
        '    redis_url: str = ""\n'
    )
    assert env_names(source) == EnvNames("X_")


@pytest.mark.parametrize(
    "imports",
    [
        "from app.core.base import Base",
        "from .base import Base",
        "from app.core import base as b\nBase = None",
        "import app.core.base",
    ],
    ids=["absolute", "relative", "module", "dotted"],
)
def test_a_prefix_from_a_base_class_of_another_project_module_is_found(imports: str) -> None:
    base = {
        "from app.core import base as b\nBase = None": "b.Base",
        "import app.core.base": "app.core.base.Base",
    }.get(imports, "Base")
    source = f"{imports}\n\n\nclass Settings({base}):\n    redis_url: str = ''\n"
    files = {
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/core/base.py": BASE_MODULE.format(sensitive=True),
    }
    assert env_names(source, _reader(files)) == EnvNames("X_", case_sensitive=True)


def test_a_base_class_reexported_by_a_package_is_followed() -> None:
    source = "from app.core import Base\n\n\nclass Settings(Base):\n    pass\n"
    files = {
        "app/core/__init__.py": "from app.core.base import Base as Base\n",
        "app/core/base.py": BASE_MODULE.format(sensitive=False),
    }
    assert env_names(source, _reader(files)) == EnvNames("X_")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # The subclass's model_config is merged over its parent's.
        ('model_config = SettingsConfigDict(env_file=".env")', EnvNames("X_")),
        ('model_config = SettingsConfigDict(env_prefix="Y_")', EnvNames("Y_")),
        ('model_config = {"case_sensitive": True}', EnvNames("X_", case_sensitive=True)),
    ],
    ids=["kept", "replaced", "dict"],
)
def test_the_subclass_config_is_merged_over_its_parents(settings: str, expected: EnvNames) -> None:
    source = BASE_MODULE.format(sensitive=False) + f"\n\nclass Settings(Base):\n    {settings}\n"
    assert env_names(source) == expected


def test_bases_merge_in_the_order_they_are_listed_and_class_keywords_win() -> None:
    base = BASE_MODULE.format(sensitive=False)
    # BaseSettings holds every default: listed after Base, it resets the prefix.
    assert env_names(base + "\n\nclass Settings(Base, BaseSettings):\n    pass\n") == EnvNames()
    mixin = "\n\nclass Plain(BaseSettings):\n    pass\n"
    assert env_names(base + mixin + "\n\nclass Settings(Plain, Base):\n    pass\n") == EnvNames(
        "X_"
    )
    keywords = '\n\nclass Settings(Base, env_prefix="K_"):\n    pass\n'
    assert env_names(base + keywords) == EnvNames("K_")


def test_a_computed_prefix_in_a_base_is_masked_by_a_literal_one_below() -> None:
    source = (
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
        "class Base(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix=NAME)\n\n"
        'class Settings(Base):\n    model_config = SettingsConfigDict(env_prefix="S_")\n'
    )
    assert env_names(source) == EnvNames("S_")
    unknown = env_names(source.replace('env_prefix="S_"', 'env_file=".env"')).unknown
    assert unknown == (
        "`env_prefix` of Base in app/core/config.py (a base class of Settings) is not a "
        "literal string, so the names of its environment variables are unknown"
    )


@pytest.mark.parametrize(
    ("source", "files", "unknown"),
    [
        (
            "from other_lib import Base\n\nclass Settings(Base):\n    pass\n",
            {},
            "Settings in app/core/config.py inherits from `Base`, a class from outside the project",
        ),
        (
            "from app.core.base import Base\n\nclass Settings(Base):\n    pass\n",
            {"app/core/__init__.py": ""},
            "Settings in app/core/config.py inherits from `Base`, which "
            "app/core/__init__.py does not define or import",
        ),
        (
            "Base = make_base()\n\nclass Settings(Base):\n    pass\n",
            {},
            "Settings in app/core/config.py inherits from `Base`, computed at run time",
        ),
        (
            "class Settings(bases[0]):\n    pass\n",
            {},
            "Settings in app/core/config.py inherits from `bases[0]`, computed at run time",
        ),
        (
            "from app.core.base import Base\n\nclass Settings(Base):\n    pass\n",
            {
                "app/core/base.py": "class Base(BaseSettings):\n"
                "    model_config = {**SHARED, 'env_prefix': 'X_'}\n"
            },
            "`model_config` of Base in app/core/base.py (a base class of Settings) is not a "
            "`SettingsConfigDict(...)` call or a dict fastasync can read",
        ),
        (
            "from app.core.a import A\n\nclass Settings(A):\n    pass\n",
            {
                "app/core/a.py": "from app.core.b import B as A\n",
                "app/core/b.py": "from app.core.a import A as B\n",
            },
            "Settings in app/core/config.py inherits from `A`, imported in a circle",
        ),
    ],
    ids=["third-party", "missing", "assigned", "subscript", "dict-merge", "circular"],
)
def test_bases_that_cannot_be_followed_make_the_names_unknown(
    source: str, files: dict[str, str], unknown: str
) -> None:
    found = env_names(source, _reader(files))
    assert (
        found.unknown
        == f"{unknown}, so the names of its environment variables (`env_prefix`) are unknown"
    )


@pytest.mark.parametrize("prefix", ["my app_", 'a"b_', "x{y}_", "back\\\\slash_"])
def test_a_prefix_that_cannot_be_written_into_code_makes_the_names_unknown(prefix: str) -> None:
    found = env_names(CONFIG.format(config=f"env_prefix='{prefix}'"))
    assert found.unknown is not None
    assert "holds characters other than letters, digits, `_`, `-` and `.`" in found.unknown
