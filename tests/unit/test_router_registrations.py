"""Whether app/api/main.py registers a router already, in the forms users write
(`edits.includes_router`): each form that surely runs counts, the rest do not."""

from __future__ import annotations

import textwrap

import pytest

from fastasync_cli.engine import edits

ROUTER = "app.api.routes.users.router"
HEAD = "from app.api.router_group import RouterGroup\napi_router = RouterGroup()\n"


def includes(body: str) -> bool:
    source = HEAD + textwrap.dedent(body)
    return edits.includes_router(edits.parse(source, "main.py"), "api_router", ROUTER)


@pytest.mark.parametrize(
    "body",
    [
        # the line `add endpoint` writes and prints
        """
        from app.api.routes import users
        api_router.include_router(users.router)
        """,
        """
        from app.api.routes import items, users
        for module in (items, users):
            api_router.include_router(module.router)
        """,
        """
        from app.api.routes import items, users
        for module in [items, users]:
            api_router.include_router(module.router)
        """,
        """
        from app.api.routes import items, users
        MODULES = (items,)
        for module in (*MODULES, users):
            api_router.include_router(module.router)
        """,
        """
        from app.api.routes import items, users
        BASE = [items]
        MODULES = [*BASE, users]
        for module in MODULES:
            api_router.include_router(module.router)
        """,
        """
        from app.api.routes import items, users
        MODULES: tuple[object, ...] = (items,) + (users,)
        for module in MODULES:
            api_router.include_router(router=module.router)
        """,
        """
        from app.api.routes import items, users
        for router in (items.router, users.router):
            api_router.include_router(router)
        """,
        """
        from app.api.routes import items, users
        [api_router.include_router(module.router) for module in (items, users)]
        """,
        """
        from app.api import routes
        for module in (routes.items, routes.users):
            api_router.include_router(module.router, tags=["api"])
        """,
        """
        import app.api.routes.users
        api_router.include_router(app.api.routes.users.router)
        """,
        """
        from app.api.routes import users as user_routes
        for module in (user_routes,):
            print(module)
            api_router.include_router(module.router)
        """,
    ],
)
def test_a_registration_that_runs_counts(body: str) -> None:
    assert includes(body)


@pytest.mark.parametrize(
    "body",
    [
        # users not in the loop
        """
        from app.api.routes import items, users
        for module in (items,):
            api_router.include_router(module.router)
        """,
        # not imported: the name is no module of app.api.routes
        """
        for module in (items, users):
            api_router.include_router(module.router)
        """,
        # a module of the same name from elsewhere
        """
        from app.legacy import users
        for module in (users,):
            api_router.include_router(module.router)
        """,
        # imported, then rebound
        """
        from app.api.routes import users
        users = None
        for module in (users,):
            api_router.include_router(module.router)
        """,
        # another router group
        """
        from app.api.routes import users
        root_router = RouterGroup()
        for module in (users,):
            root_router.include_router(module.router)
        """,
        # no call at all, or a commented-out one
        """
        from app.api.routes import users
        for module in (users,):
            print(module.router)
        # api_router.include_router(users.router)
        """,
        # a generator nobody runs
        """
        from app.api.routes import users
        (api_router.include_router(module.router) for module in (users,))
        """,
        # a condition on the call
        """
        from app.api.routes import items, users
        for module in (items, users):
            if module is items:
                api_router.include_router(module.router)
        """,
        """
        from app.api.routes import items, users
        [api_router.include_router(m.router) for m in (items, users) if m is items]
        """,
        # a loop that may stop early, or rebinds its variable
        """
        from app.api.routes import items, users
        for module in (items, users):
            api_router.include_router(module.router)
            break
        """,
        """
        from app.api.routes import items, users
        for module in (items, users):
            module = items
            api_router.include_router(module.router)
        """,
        # the loop's other attribute, or a name bound twice
        """
        from app.api.routes import users
        for module in (users,):
            api_router.include_router(module.admin_router)
        """,
        """
        from app.api.routes import items, users
        MODULES = (users,)
        MODULES = (items,)
        for module in MODULES:
            api_router.include_router(module.router)
        """,
        # inside a function that nothing here calls
        """
        from app.api.routes import users
        def later() -> None:
            for module in (users,):
                api_router.include_router(module.router)
        """,
        # an iterable it cannot read
        """
        from app.api.routes import items, users
        for module in sorted((items, users), key=id):
            api_router.include_router(module.router)
        """,
    ],
)
def test_a_registration_that_may_not_run_does_not_count(body: str) -> None:
    assert not includes(body)
