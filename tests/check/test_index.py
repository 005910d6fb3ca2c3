"""The per-module index and the program's name resolution, on small snippets."""

from __future__ import annotations

from fastasync_cli.check.index import KEPT, LOCAL, SELF, index_module
from fastasync_cli.check.noqa import read_noqa
from fastasync_cli.check.program import Program


def program(**sources: str) -> Program:
    modules = [
        index_module(text.encode(), f"{name}.py", name, is_package=False)
        for name, text in sources.items()
    ]
    return Program(modules, {name: f"{name}.py" for name in sources})


def test_noqa_comments() -> None:
    # As in ruff, a lowercase word after the codes is a comment, not a code.
    text = "a = 1  # noqa\nb = 2  # noqa: FA101, fa102\nc = 3  # no qa\n"
    assert read_noqa(text) == ({1: None, 2: frozenset({"FA101"})}, frozenset(), [])


def test_where_a_built_object_is_stored() -> None:
    module = index_module(
        b"import httpx\n"
        b"class A:\n"
        b"    def __init__(self):\n        self.c = httpx.AsyncClient()\n"
        b"    def lazy(self):\n        type(self).shared = httpx.AsyncClient()\n"
        b"def f():\n    c = httpx.AsyncClient()\n",
        "m.py",
        "m",
        is_package=False,
    )
    stored = {f.qualname: [s.stored for s in f.calls] for f in module.functions.values()}
    assert stored == {"A.__init__": [SELF], "A.lazy": [KEPT, LOCAL], "f": [LOCAL]}


def test_relative_and_aliased_imports_resolve_across_modules() -> None:
    prog = program(
        pkg_util="import requests as rq\ndef get(u):\n    return rq.get(u)\n",
        user="from pkg_util import get as fetch\nimport pkg_util as pu\n",
    )
    assert prog.value(("n", "fetch"), ("user.py", None)) == ("func", "pkg_util.py", "get")
    assert prog.value(("a", ("n", "pu"), "get"), ("user.py", None)) == (
        "func",
        "pkg_util.py",
        "get",
    )
    [(_site, [action])] = prog.calls_of(("pkg_util.py", "get"))
    assert (action.kind, action.name, action.blocking.code) == ("blocking", "requests.get", "FA101")


def test_a_module_named_like_a_library_does_not_shadow_it() -> None:
    prog = program(redis="def get():\n    pass\n", user="import redis\nr = redis.Redis()\n")
    assert prog.value(("n", "r"), ("user.py", None)) == ("inst", "redis.Redis")


def test_types_from_annotations_aliases_and_factories() -> None:
    prog = program(
        db=(
            "from typing import Annotated, Optional\n"
            "from fastapi import Depends\n"
            "from sqlalchemy.orm import Session, sessionmaker\n"
            "SessionLocal = sessionmaker()\n"
            "def get_db():\n    with SessionLocal() as s:\n        yield s\n"
            "SessionDep = Annotated[Session, Depends(get_db)]\n"
            "def a(db: SessionDep): pass\n"
            "def b(db: 'Optional[Session]'): pass\n"
            "def c(db=Depends(get_db)): pass\n"
        )
    )
    session = ("inst", "sqlalchemy.orm.Session")
    for function in ("a", "b", "c"):
        assert prog.value(("n", "db"), ("db.py", function)) == session, function
