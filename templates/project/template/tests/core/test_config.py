import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings, get_settings

PROJECT_ROOT = Path(__file__).parents[2]


def env(name: str) -> str:
    """The variable that sets `name`: with the settings' `env_prefix`, if any."""
    return f"{Settings.model_config.get('env_prefix', '')}{name}"


def test_defaults_are_usable() -> None:
    settings = Settings(_env_file=None)

    assert settings.threadpool_size == 40
    assert settings.cpu_workers >= 1
    assert settings.job_store_max > 0


def test_environment_overrides_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"{env('THREADPOOL_SIZE')}=12\n{env('CPU_WORKERS')}=3\nNOT_A_SETTING=1\n"
    )
    monkeypatch.setenv(env("CPU_WORKERS"), "5")

    settings = Settings(_env_file=env_file)

    assert (settings.threadpool_size, settings.cpu_workers) == (12, 5)


def test_log_level_may_be_lowercase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env("LOG_LEVEL"), "debug")

    assert Settings(_env_file=None).log_level == "DEBUG"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env("THREADPOOL_SIZE"), "0")

    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_settings_are_read_once() -> None:
    assert get_settings() is get_settings()


def test_env_example_documents_every_setting() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))

    # Read by uvicorn in the Docker image, not by the app.
    server_settings = {"FORWARDED_ALLOW_IPS"}
    assert documented - server_settings == {
        env(name.upper()) for name in Settings.model_fields
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://a.example", ["https://a.example"]),
        (
            "https://a.example, https://b.example",
            ["https://a.example", "https://b.example"],
        ),
        (
            '["https://a.example", "https://b.example"]',
            ["https://a.example", "https://b.example"],
        ),
        ("", []),
    ],
)
def test_list_settings_take_commas_or_json(
    text: str, expected: list[str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"{env('CORS_ORIGINS')}={text}\n{env('ALLOWED_HOSTS')}={text or '*'}\n"
    )

    settings = Settings(_env_file=env_file)

    assert settings.cors_origins == expected
    assert settings.allowed_hosts == (expected or ["*"])


@pytest.mark.parametrize(
    "origin", ["https://a.example/", "a.example", "https://a.example/app"]
)
def test_cors_origins_must_be_origins(
    origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env("CORS_ORIGINS"), origin)

    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(_env_file=None)


def test_the_body_limit_defaults_to_one_mebibyte() -> None:
    assert Settings(_env_file=None).max_body_bytes == 1024 * 1024


def test_a_body_limit_above_the_job_inputs_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Such a body would be accepted, then refused with 503 by every job for ever.
    assert Settings(_env_file=None).job_inputs_max_bytes == 64 * 1024 * 1024
    monkeypatch.setenv(env("JOB_INPUTS_MAX_BYTES"), "1000")
    monkeypatch.setenv(env("MAX_BODY_BYTES"), "1001")

    with pytest.raises(ValidationError, match="more than JOB_INPUTS_MAX_BYTES"):
        Settings(_env_file=None)
    monkeypatch.setenv(env("MAX_BODY_BYTES"), "1000")
    assert Settings(_env_file=None).max_body_bytes == 1000


def test_json_bodies_in_flight_default_to_8_mebibytes_and_hold_one_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Less than one body: the largest bodies would get 503 for ever.
    assert Settings(_env_file=None).json_in_flight_max_bytes == 8 * 1024 * 1024
    monkeypatch.setenv(env("MAX_BODY_BYTES"), "1000")
    monkeypatch.setenv(env("JSON_IN_FLIGHT_MAX_BYTES"), "999")

    with pytest.raises(ValidationError, match="less than MAX_BODY_BYTES"):
        Settings(_env_file=None)
    monkeypatch.setenv(env("JSON_IN_FLIGHT_MAX_BYTES"), "1000")
    assert Settings(_env_file=None).json_in_flight_max_bytes == 1000


def test_the_head_limit_defaults_to_32_kibibytes_and_has_a_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).max_header_bytes == 32 * 1024
    monkeypatch.setenv(env("MAX_HEADER_BYTES"), "100")

    with pytest.raises(ValidationError, match="max_header_bytes"):
        Settings(_env_file=None)


@pytest.mark.parametrize("field", ["header_timeout_s", "body_timeout_s"])
@pytest.mark.parametrize("seconds", ["0", "-1", "3601", "nan"])
def test_the_head_and_body_timeouts_default_to_20_seconds_and_are_bounded(
    monkeypatch: pytest.MonkeyPatch, field: str, seconds: str
) -> None:
    assert getattr(Settings(_env_file=None), field) == 20.0
    monkeypatch.setenv(env(field.upper()), seconds)

    with pytest.raises(ValidationError, match=field):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [("JOB_TIMEOUT_S", "0"), ("JOB_TIMEOUT_S", "inf"), ("JOB_TTL_S", "-1")],
)
def test_job_limits_are_checked_and_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(env(name), value)

    with pytest.raises(ValidationError, match=name.lower()):
        Settings(_env_file=None)
