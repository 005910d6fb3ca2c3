"""`fastasync check` on code that is deep rather than wide: long chains of aliases and
imports, cycles of names, and nesting deeper than Python's parser goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fastasync_cli.check.index import index_module
from fastasync_cli.check.program import Program
from fastasync_cli.cli import app

runner = CliRunner()


def check(*args: str):
    return runner.invoke(app, ["check", "--format", "json", *args])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(result) -> list[tuple[str, int, str]]:
    return [(f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)]


def test_an_alias_chain_thousands_long_is_followed(folder: Path) -> None:
    """`b = a; c = b; ...; c(1)`: resolving each name recursed, and past about a
    thousand links the call was taken for unknown and nothing was reported."""
    links = 5_000
    lines = ["import time", "a0 = time.sleep"]
    lines += [f"a{i} = a{i - 1}" for i in range(1, links)]
    lines += ["async def handler():", f"    a{links - 1}(1)", "", "def later():"]
    # The same names again, from inside a function: the chain is already resolved.
    lines += [f"    a{links // 2}(1)", ""]
    (folder / "app.py").write_text("\n".join(lines))
    result = check()
    assert result.exit_code == 1, result.output
    assert findings(result) == [("app.py", links + 3, "FA101")]
    assert "time.sleep" in json.loads(result.stdout)[0]["message"]


def test_a_chain_of_re_exports_thousands_long_is_followed(folder: Path) -> None:
    """`from m0 import s` in m1, `from m1 import s` in m2, ...: one chain of imports
    across modules."""
    links = 5_000
    (folder / "m0.py").write_text("from time import sleep as s\n")
    for i in range(1, links):
        (folder / f"m{i}.py").write_text(f"from m{i - 1} import s\n")
    (folder / "main.py").write_text(f"from m{links - 1} import s\nasync def f():\n    s(1)\n")
    result = check()
    assert result.exit_code == 1, result.output
    assert findings(result) == [("main.py", 3, "FA101")]


def test_a_chain_of_factories_thousands_long_is_followed(folder: Path) -> None:
    """`def f1(): return f0()`: what a call gives, through thousands of calls."""
    links = 5_000
    lines = ["import httpx", "def f0():", "    return httpx.Client()"]
    for i in range(1, links):
        lines += [f"def f{i}():", f"    return f{i - 1}()"]
    lines += ["async def handler():", f"    f{links - 1}().get('x')", ""]
    (folder / "app.py").write_text("\n".join(lines))
    result = check()
    assert result.exit_code == 1, result.output
    assert ("app.py", len(lines) - 1, "FA101") in findings(result)


@pytest.mark.parametrize(
    "source",
    [
        "a = b\nb = a\n",
        "a = b.x\nb = a.y\n",
        "a = b()\nb = a()\n",
        "from app import a as b\na = b\n",
        "class A(B):\n    pass\nclass B(A):\n    pass\na = A().x\nb = B.y\n",
        "def f():\n    return g()\ndef g():\n    return f()\na = f()\nb = g().x\n",
        "a = b\nb = c\nc = a\n"
        + "".join(f"n{i} = n{i + 1}\n" for i in range(3000))
        + "n3000 = n0\n",
    ],
    ids=["names", "attributes", "calls", "import", "bases", "returns", "long"],
)
def test_a_cycle_of_names_ends_and_reports_nothing(folder: Path, source: str) -> None:
    (folder / "app.py").write_text(
        source + "async def handler():\n    a(1)\n    b(1)\n    a.get(1)\n    b().x()\n"
    )
    result = check()
    assert (result.exit_code, result.stdout.strip()) == (0, "[]"), result.output


def test_a_name_in_a_cycle_with_a_way_out_resolves() -> None:
    """`a = b` or `a = time.sleep`, and `b = a`: b is time.sleep whichever name is
    asked for first."""
    source = b"import time\nif x:\n    a = b\nelse:\n    a = time.sleep\nb = a\n"
    for first, second in (("a", "b"), ("b", "a")):
        module = index_module(source, "app.py", "app", is_package=False)
        program = Program([module], {"app": "app.py"})
        for name in (first, second):
            assert program.value(("n", name), ("app.py", None)) == ("ext", "time.sleep"), name


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = " + "+".join(["1"] * 100_000) + "\n", "RecursionError"),
        ("x = a" + ".b" * 100_000 + "\n", "RecursionError"),
        ("x = a" + "[0]" * 100_000 + "\n", "RecursionError"),
        ("x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n", "too many nested parentheses"),
        ("x = " + "f(" * 5_000 + "1" + ")" * 5_000 + "\n", "too many nested parentheses"),
        ("x = " + "[" * 5_000 + "1" + "]" * 5_000 + "\n", "too many nested parentheses"),
        ("x = " + "-" * 100_000 + "1\n", "too complex"),
        ("x = " + "not " * 100_000 + "1\n", "too complex"),
        ("x = " + "lambda: " * 5_000 + "1\n", "too complex"),
        ("if x:\n    pass\n" + "elif x:\n    pass\n" * 50_000, "too complex"),
        ("".join(" " * i + f"def f{i}():\n" for i in range(200)) + " " * 200 + "pass\n", "inden"),
        ("".join(" " * i + f"class C{i}:\n" for i in range(200)) + " " * 200 + "pass\n", "inden"),
    ],
    ids=[
        "sum",
        "attributes",
        "subscripts",
        "parentheses",
        "calls",
        "lists",
        "unary",
        "not",
        "lambdas",
        "elifs",
        "functions",
        "classes",
    ],
)
def test_code_nested_deeper_than_python_parses_is_one_finding(
    folder: Path, source: str, message: str
) -> None:
    """Python refuses these too (`python app.py` fails). Some made the parser run out
    of its own stack, which Python 3.11 raises as a MemoryError: that was an
    "Unexpected MemoryError" that stopped the whole check."""
    (folder / "deep.py").write_text(source)
    (folder / "ok.py").write_text("import time\nasync def f():\n    time.sleep(1)\n")
    result = check()
    assert result.exit_code == 1, result.output
    reported = json.loads(result.stdout)
    assert [(f["path"], f["code"]) for f in reported] == [("deep.py", "FA001"), ("ok.py", "FA101")]
    assert message in reported[0]["message"]


def test_nesting_python_accepts_is_checked(folder: Path) -> None:
    """99 levels of functions and classes, 1,000 terms: Python runs these."""
    deep = "".join("    " * i + f"def f{i}():\n" for i in range(50))
    deep += "".join("    " * (50 + i) + f"class C{i}:\n" for i in range(48))
    deep += "    " * 98 + "import time\n" + "    " * 98 + "async def g():\n"
    deep += "    " * 99 + "time.sleep(1 " + "+ 1" * 1_000 + ")\n"
    (folder / "deep.py").write_text(deep)
    result = check()
    assert findings(result) == [("deep.py", 101, "FA101")], result.output


@pytest.mark.parametrize(
    "annotation",
    ["+".join(["1"] * 100_000), "-" * 100_000 + "1", "|".join(["int"] * 20_000), "a\\x00b"],
    ids=["sum", "unary", "union", "null"],
)
def test_a_string_annotation_python_cannot_parse_is_unknown(folder: Path, annotation: str) -> None:
    """A string annotation is parsed when a parameter's type is needed: a deep one
    was an "Unexpected MemoryError" or RecursionError."""
    (folder / "app.py").write_text(
        f'import time\nasync def f(x: "{annotation}"):\n    x.get()\n    time.sleep(1)\n'
    )
    result = check()
    assert findings(result) == [("app.py", 4, "FA101")], result.output


def test_the_same_deep_expression_twice_is_compared(folder: Path) -> None:
    """`a.b.b...` 2,500 deep, written in several places: the expression is kept as
    tuples as deep, and comparing two of them recursed past the default limit (an
    "Unexpected RecursionError")."""
    chain = "time" + ".b" * 2_500
    body = f"    {chain}.sleep(1)\n    y = {chain}\n    y.c()\n    time.sleep(1)\n"
    source = "import time\n" + "".join(f"async def f{i}():\n{body}" for i in range(3))
    source += f"class A({chain}):\n    pass\nclass B({chain}):\n    pass\n"
    (folder / "app.py").write_text(source)
    result = check()
    assert findings(result) == [("app.py", 6 + 5 * i, "FA101") for i in range(3)], result.output
