"""templates/db/tests/postgres_server.py without a server: which URL, skip or fail, where."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.e2e.postgres import load_server_module

pg = load_server_module()


def fake_bindir(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("initdb", "postgres"):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_test_database_url_is_used_as_given_with_the_asyncpg_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://app:secret@db.example:5432/app")
    monkeypatch.setattr(pg, "find_bindir", lambda: pytest.fail("looked for binaries"))
    with pg.postgres_url() as url:
        assert url == "postgresql+asyncpg://app:secret@db.example:5432/app"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
    ],
)
def test_asyncpg_url_accepts_every_postgres_scheme(given: str, expected: str) -> None:
    assert pg.asyncpg_url(given) == expected


def test_a_test_database_url_that_is_not_postgres_fails_the_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    with (
        pytest.raises(pytest.fail.Exception, match="must be a postgresql:// URL"),
        pg.postgres_url(),
    ):
        pass


@pytest.mark.parametrize("ci", [None, "false"])
def test_without_binaries_the_test_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with (
        pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"),
        pg.postgres_url(),
    ):
        pass


def test_without_binaries_under_ci_the_test_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(pg, "find_bindir", lambda: None)
    with (
        pytest.raises(pytest.fail.Exception, match=r"not found.*CI=true: not skipping"),
        pg.postgres_url(),
    ):
        pass


def test_a_server_that_cannot_start_skips_or_fails_with_its_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """initdb failing (here: a fake one) is reported with what it printed."""
    bindir = fake_bindir(tmp_path / "bin")
    (bindir / "initdb").write_text("#!/bin/sh\necho 'initdb: disk on fire' >&2\nexit 1\n")
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setattr(pg, "find_bindir", lambda: bindir)
    monkeypatch.setattr(pg, "server_user", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="disk on fire"), pg.postgres_url():
        pass
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="disk on fire"), pg.postgres_url():
        pass


def test_binaries_are_found_on_path_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bindir = fake_bindir(tmp_path / "pg" / "bin")
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(pg, "BINARY_FOLDERS", ())
    assert pg.find_bindir() == bindir


def test_binaries_are_found_in_versioned_folders_newest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Debian's /usr/lib/postgresql/N/bin is not on PATH: the newest N wins."""
    for version in ("9", "15", "16"):
        fake_bindir(tmp_path / "postgresql" / version / "bin")
    (tmp_path / "postgresql" / "17").mkdir()  # a leftover folder without binaries
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(pg, "BINARY_FOLDERS", (f"{tmp_path}/postgresql/*/bin",))
    assert pg.find_bindir() == tmp_path / "postgresql" / "16" / "bin"


def test_binaries_are_found_through_pg_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bindir = fake_bindir(tmp_path / "somewhere" / "bin")
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "pg_config").write_text(f"#!/bin/sh\necho {bindir}\n")
    (tools / "pg_config").chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(pg, "BINARY_FOLDERS", ())
    assert pg.find_bindir() == bindir


def test_no_binaries_anywhere_is_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pg, "BINARY_FOLDERS", (f"{tmp_path}/nothing/*/bin",))
    assert pg.find_bindir() is None


def test_the_server_runs_as_ourselves_unless_we_are_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert pg.server_user() is None
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    user = pg.server_user()
    assert user is not None and user.pw_uid != 0
    assert user.pw_name in {"postgres", "nobody"}


def test_as_root_without_an_unprivileged_user_it_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)

    def missing(name: str) -> pwd.struct_passwd:
        raise KeyError(name)

    monkeypatch.setattr(pwd, "getpwnam", missing)
    with pytest.raises(pg.PostgresUnavailable, match="refuses to run as root"):
        pg.server_user()
