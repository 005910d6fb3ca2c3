"""`fastasync add` on projects whose `Settings` reads its variables with a prefix
(`env_prefix`, its own or a base class's): every name it writes carries it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fastasync_cli.cli import app

runner = CliRunner()


def add(project: Path, *args: str) -> object:
    return runner.invoke(app, ["add", *args, "--project", str(project)])


def _with_settings_config(project: Path, config: str) -> None:
    settings = project / "app/core/config.py"
    text = settings.read_text()
    old = 'env_file=".env", env_file_encoding="utf-8", extra="ignore"'
    assert old in text
    settings.write_text(text.replace(old, f"{old}, {config}"))


def test_env_prefix_names_the_variables_add_documents(project: Path) -> None:
    """With `env_prefix="APP_"`, `.env.example`, compose.yaml and the README named
    REDIS_URL, GITHUB_BASE_URL..., which the app never reads (it reads APP_REDIS_URL)."""
    _with_settings_config(project, 'env_prefix="APP_"')
    client = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert client.exit_code == 0, client.output
    celery = add(project, "celery")
    assert celery.exit_code == 0, celery.output
    env = (project / ".env.example").read_text()
    assert "\nAPP_GITHUB_BASE_URL=https://api.github.com\n" in env
    assert "\n# APP_CELERY_TIME_LIMIT=330\n" in env
    assert "Must be longer than APP_CELERY_TIME_LIMIT." in env
    assert "\nGITHUB_BASE_URL" not in env and "# REDIS_URL" not in env
    compose = (project / "compose.yaml").read_text()
    assert compose.count("APP_REDIS_URL: redis://redis:6379/0") == 2  # app and worker
    assert " REDIS_URL:" not in compose
    readme = (project / "README.md").read_text()
    assert "| `APP_REDIS_URL`" in readme and "`APP_CELERY_VISIBILITY_TIMEOUT`" in readme
    assert "| `REDIS_URL`" not in readme
    again = add(project, "celery")
    assert "Nothing to do: the project already has all of this." in again.stdout


def test_env_prefix_names_the_database_variables(project: Path) -> None:
    _with_settings_config(project, 'env_prefix="svc_", case_sensitive=True')
    result = add(project, "db", "--kind", "postgres")
    assert result.exit_code == 0, result.output
    env = (project / ".env.example").read_text()
    assert "svc_database_url=" in env and "DATABASE_URL=" not in env
    compose = (project / "compose.yaml").read_text()
    assert compose.count("svc_database_url: postgresql+asyncpg://") == 2  # app, migrate
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD" in compose  # PostgreSQL's own
    assert "`svc_database_url`" in (project / "README.md").read_text()


def test_a_computed_env_prefix_leaves_the_variables_to_the_user(project: Path) -> None:
    settings = project / "app/core/config.py"
    _with_settings_config(project, "env_prefix=PREFIX")
    settings.write_text(
        settings.read_text().replace(
            "\n\nclass Settings", '\n\nPREFIX = "APP_"\n\n\nclass Settings', 1
        )
    )
    env_before = (project / ".env.example").read_bytes()
    compose_before = (project / "compose.yaml").read_bytes()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "     skip  .env.example  (left to you: see the lines below)" in lines
    assert "     skip  compose.yaml  (left to you: see the lines below)" in lines
    warning = (
        "warning: `env_prefix` of Settings in app/core/config.py is not a literal string, "
        "so the names of its environment variables are unknown."
    )
    errors = result.stderr.splitlines()
    assert errors.count(warning) == 2
    assert (
        "hint: Add these lines to .env.example by hand, with the prefix in front of each "
        "variable's name:"
    ) in errors
    assert "    # CELERY_TIME_LIMIT=330" in errors
    assert (
        "hint: Add these lines to compose.yaml by hand, with the prefix in front of the "
        "names of the app's variables (CELERY_TIME_LIMIT, REDIS_URL):"
    ) in errors
    assert "          REDIS_URL: redis://redis:6379/0" in errors
    assert (project / ".env.example").read_bytes() == env_before
    assert (project / "compose.yaml").read_bytes() == compose_before
    assert (project / "app/worker.py").is_file()


def _with_base_settings(project: Path, base_module: str, config: str) -> None:
    """Settings inherits from `Base` of `base_module` (app/core/base.py, say)."""
    (project / base_module).write_text(
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        f"class Base(BaseSettings):\n    model_config = SettingsConfigDict({config})\n"
    )
    dotted = base_module.removesuffix(".py").replace("/", ".")
    settings = project / "app/core/config.py"
    text = settings.read_text()
    assert "\n\nclass Settings(BaseSettings):" in text
    settings.write_text(
        f"from {dotted} import Base\n"
        + text.replace("\n\nclass Settings(BaseSettings):", "\n\nclass Settings(Base):")
    )


def test_a_prefix_inherited_from_a_base_in_another_module_names_the_variables(
    project: Path,
) -> None:
    """A prefix set on a base class of the project's own (in app/core/base.py) was not
    seen: the variables went to .env.example without it."""
    _with_base_settings(project, "app/core/base.py", 'env_prefix="APP_"')
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    env = (project / ".env.example").read_text()
    assert "\nAPP_GITHUB_BASE_URL=https://api.github.com\n" in env
    assert "\nGITHUB_BASE_URL" not in env


def test_a_base_from_outside_the_project_leaves_the_variables_to_the_user(
    project: Path,
) -> None:
    settings = project / "app/core/config.py"
    text = settings.read_text()
    settings.write_text(
        "from shared_settings import Base\n"
        + text.replace("\n\nclass Settings(BaseSettings):", "\n\nclass Settings(Base):")
    )
    env_before = (project / ".env.example").read_bytes()
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        "warning: Settings in app/core/config.py inherits from `Base`, a class from outside "
        "the project, so the names of its environment variables (`env_prefix`) are unknown.",
        "hint: Add these lines to .env.example by hand, with the prefix in front of each "
        "variable's name:",
    ]
    assert (project / ".env.example").read_bytes() == env_before
