"""Every rule on realistic code: the exact findings the corpus's `# expect:` comments
name, no more (the look-alike negatives) and no fewer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fastasync_cli.check import Settings, run_check
from fastasync_cli.check.rules import RULES
from tests.check.expected import CORPUS, expected

HANDLER_BLOCKING = "\nimport time\n\n\nasync def h():\n    time.sleep(1)\n"


def findings(root: Path, monkeypatch: pytest.MonkeyPatch, **settings: object):
    monkeypatch.chdir(root)
    return run_check([Path(".")], Settings(base=root, **settings)).findings


def line_of(root: Path, path: str, text: str) -> int:
    lines = (root / path).read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


@pytest.mark.parametrize("name", ["shop", "flat"])
def test_corpus_gives_exactly_the_expected_findings(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = CORPUS / name
    found = {(f.code, f.path, f.line) for f in findings(root, monkeypatch)}
    assert found == expected(root)


def test_the_corpus_has_positives_for_every_rule() -> None:
    codes = {code for code, _, _ in expected(CORPUS)}
    assert codes == set(RULES) - {"FA001"}


def test_a_chain_is_reported_where_the_async_function_starts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [finding] = [f for f in findings(CORPUS / "flat", monkeypatch) if f.line == 16]
    assert finding.chain == ("handler", "services.fetch", "http_util.get", "requests.get")
    assert finding.message == (
        "HTTP request `requests.get` blocks the event loop: "
        "handler -> services.fetch -> http_util.get -> requests.get"
    )


def test_a_client_built_in_init_is_reported_at_its_construction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = CORPUS / "shop"
    found = [f for f in findings(root, monkeypatch) if f.code == "FA102"]
    by_path = {(f.path, f.line): f.chain for f in found}
    line = line_of(root, "app/services/weather.py", "self.client = httpx.Client(")
    assert by_path[("app/services/weather.py", line)] == (
        "forecast",
        "app.services.weather.WeatherService.__init__",
        "httpx.Client",
    )


def test_the_specific_code_wins_over_fa101(monkeypatch: pytest.MonkeyPatch) -> None:
    root = CORPUS / "shop"
    at = {(f.path, f.line): f.code for f in findings(root, monkeypatch)}
    for path, text, code in [
        ("app/api/routes/users.py", "repository.get(user_id)  #", "FA103"),  # via a class
        ("app/api/routes/orders.py", "queue_receipt(order_id)  #", "FA104"),  # via a helper
        ("app/api/routes/orders.py", "fetch_all_sync()  #", "FA105"),  # asyncio.run, too
    ]:
        assert at[(path, line_of(root, path, text))] == code


def test_an_interface_call_reaches_its_implementations(monkeypatch: pytest.MonkeyPatch) -> None:
    root = CORPUS / "shop"
    line = line_of(root, "app/api/routes/users.py", "store.list_users()]")
    [finding] = [f for f in findings(root, monkeypatch) if f.line == line]
    assert finding.chain == (
        "list_users",
        "app.repositories.SqlUserStore.list_users",
        "sqlalchemy.orm.Session.scalars",
    )


def test_select_and_ignore(monkeypatch: pytest.MonkeyPatch) -> None:
    root = CORPUS / "shop"
    only = findings(root, monkeypatch, select=("FA102",))
    assert {f.code for f in only} == {"FA102"}
    rest = findings(root, monkeypatch, ignore=("FA10",))
    assert rest == []


def test_extra_blocking_calls_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vendor_sdk_use.py").write_text(
        "import vendor_sdk\n\n\n"
        "def pull():\n    return vendor_sdk.Client().pull()\n\n\n"
        "async def handler():\n    return pull()\n"
    )
    assert findings(tmp_path, monkeypatch) == []
    [finding] = findings(tmp_path, monkeypatch, extra_blocking=(("vendor_sdk.Client.*", "FA101"),))
    assert (finding.code, finding.line) == ("FA101", 9)
    assert finding.chain == ("handler", "vendor_sdk_use.pull", "vendor_sdk.Client.pull")


def test_a_file_that_does_not_parse_is_reported_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.py").write_text("async def handler(:\n    pass\n")
    (tmp_path / "ok.py").write_text("import time\n\n\nasync def h():\n    time.sleep(1)\n")
    found = findings(tmp_path, monkeypatch)
    assert [(f.code, f.path, f.line) for f in found] == [
        ("FA001", "broken.py", 1),
        ("FA101", "ok.py", 5),
    ]
    assert found[0].message.startswith("SyntaxError: ")


def test_a_very_long_chain_is_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["import time", "", "", "def f0():", "    time.sleep(1)"]
    for i in range(1, 1500):
        lines += ["", "", f"def f{i}():", f"    f{i - 1}()"]
    lines += ["", "", "async def handler():", "    f1499()"]
    (tmp_path / "deep.py").write_text("\n".join(lines) + "\n")
    [finding] = findings(tmp_path, monkeypatch)
    assert (finding.code, finding.line) == ("FA101", len(lines))
    assert len(finding.chain) == 1502


@pytest.mark.parametrize(
    "source",
    [
        # The index recursed deeper than Python's recursion limit.
        "x = 1" + " if 1 else 1" * 1000 + "\n",
        # The parse had less room than Python's own, being called some frames deep.
        "x = " + " + ".join(["1"] * 2950) + "\n",
    ],
    ids=["1,000 conditional expressions", "a sum of 2,950 terms"],
)
def test_code_python_runs_is_not_too_deep_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """Python compiles and runs these; the check reported an FA001 syntax error."""
    run = subprocess.run([sys.executable, "-c", source], capture_output=True, check=False)
    assert run.returncode == 0, run.stderr  # Python itself takes it
    (tmp_path / "chained.py").write_text(source + HANDLER_BLOCKING)
    [finding] = findings(tmp_path, monkeypatch)
    assert finding.code == "FA101"


def test_code_nested_deeper_than_python_compiles_gets_its_own_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "x = " + " + ".join(["1"] * 5000) + "\n"
    run = subprocess.run([sys.executable, "-c", source], capture_output=True, check=False)
    assert b"RecursionError" in run.stderr  # Python refuses it too
    (tmp_path / "sum.py").write_text(source)
    [finding] = findings(tmp_path, monkeypatch)
    assert (finding.code, finding.line) == ("FA001", 1)
    assert finding.message == "RecursionError: nested too deeply to parse"
    assert finding.fix.startswith("split the nested expression or block")
    assert "run the check under" not in finding.fix
