"""`fastasync add db` keeps each route's documented answers exact, routers untouched:
the 507 of the in-memory store goes, the database's 503 comes, with every reason."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import add_ok, replace_in
from tests.cli.old_projects import upstream_errors_as_made_before_add_reason

# What a route documents for 503 and 507, per operation, printed as JSON.
DOCUMENTED = """
import json
from app.main import create_app
paths = create_app().openapi()["paths"]
print(json.dumps({
    f"{method.upper()} {path}": {
        code: response["description"]
        for code, response in operation["responses"].items()
        if code in ("503", "507")
    }
    for path, operations in paths.items()
    for method, operation in operations.items()
}))
"""


def documented(project: Path) -> dict[str, dict[str, str]]:
    result = subprocess.run(
        [sys.executable, "-c", DOCUMENTED],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, dict[str, str]] = json.loads(result.stdout)
    return answers


def test_add_db_swaps_the_507_for_the_databases_503(project: Path) -> None:
    add_ok(project, "endpoint", "products", "name:str", "sku:str:unique")
    router = (project / "app/api/routes/products.py").read_bytes()
    before = documented(project)
    assert set(before["POST /api/products"]) == {"503", "507"}
    assert "503" not in before["GET /api/products"]

    add_ok(project, "db", "--kind", "sqlite")

    assert (project / "app/api/routes/products.py").read_bytes() == router
    deps = (project / "app/api/deps.py").read_text()
    assert "\nPRODUCTS_CREATE_RESPONSES: Responses = {}\n" in deps
    assert not re.search(r"from app\.api\.responses import .*\berror\b", deps)
    after = documented(project)
    assert "507" not in after["POST /api/products"]
    for operation in ("GET /api/products", "GET /api/products/{item_id}"):
        assert "database is unavailable" in after[operation]["503"]
    # The body's 503 and the database's, both listed.
    for operation in ("POST /api/products", "PATCH /api/products/{item_id}"):
        reasons = after[operation]["503"].splitlines()
        assert reasons[0] == "Any of:"
        assert "JSON_IN_FLIGHT_MAX_BYTES" in reasons[1]
        assert "database is unavailable" in reasons[2]


def test_add_db_on_routers_made_before_the_create_responses(project: Path) -> None:
    # Earlier projects: the router documents its own 507, deps.py has no
    # PRODUCTS_CREATE_RESPONSES, app/api/responses.py has no `add_reason`.
    add_ok(project, "endpoint", "products", "name:str")
    replace_in(
        project / "app/api/routes/products.py",
        ("from app.api.deps import PRODUCTS_CREATE_RESPONSES, ", "from app.api.deps import "),
        (
            "\n\ndef _not_found(",
            '\nFULL: Responses = {status.HTTP_507_INSUFFICIENT_STORAGE: error("Full")}'
            "\n\n\ndef _not_found(",
        ),
        ("responses=PRODUCTS_CREATE_RESPONSES,", "responses=FULL,"),
    )
    deps = project / "app/api/deps.py"
    text = deps.read_text()
    deps.write_text(text[: text.index("\n\n\n# What creating one of the products")] + "\n")
    replace_in(deps, ("from app.api.responses import Responses, error\n", ""))
    responses = project / "app/api/responses.py"
    text = responses.read_text()
    start = text.index("# Where a status is answered for more than one reason")
    end = text.index("# Answered by the middleware in app/main.py")
    responses.write_text(text[:start] + text[end:])
    replace_in(
        project / "app/api/json_body.py",
        ("\nfrom app.api.responses import add_reason\n", ""),
        (
            "            self.responses = add_reason(\n"
            "                self.responses, status.HTTP_503_SERVICE_UNAVAILABLE, BUSY\n"
            "            )\n",
            "            self.responses = {status.HTTP_503_SERVICE_UNAVAILABLE: BUSY}"
            " | self.responses\n",
        ),
    )
    upstream_errors_as_made_before_add_reason(project)
    assert "507" in documented(project)["POST /api/products"]  # it loads as it is

    add_ok(project, "db", "--kind", "sqlite")

    assert "def add_reason(" in responses.read_text()
    after = documented(project)
    # The router's own 507 stays (it is not touched); the database's 503 is added.
    assert "507" in after["POST /api/products"]
    assert "database is unavailable" in after["POST /api/products"]["503"]
    assert "JSON_IN_FLIGHT_MAX_BYTES" in after["POST /api/products"]["503"]
    assert "database is unavailable" in after["GET /api/products"]["503"]


# A router of the user's, included with `app.include_router(..., responses=...)`
# outside the RouterGroup: what its route documents for 503.
INCLUDED = """
import json
from fastapi import APIRouter
from app.api.deps import SessionDep
import app.main

router = APIRouter()

@router.get("/uploads")
async def uploads(session: SessionDep) -> None:
    pass

include_routers = app.main.include_routers

def with_mine(fastapi_app):
    include_routers(fastapi_app)
    fastapi_app.include_router(router, prefix="/mine", responses={
        503: {"description": "Uploads are paused"},
    })

app.main.include_routers = with_mine
responses = app.main.create_app().openapi()["paths"]["/mine/uploads"]["get"]["responses"]
print(json.dumps(responses["503"]["description"]))
"""


def test_a_router_s_own_503_stays_beside_the_database_s(project: Path) -> None:
    """FastAPI documents a route with its include's responses under the route's own:
    the 503 `install_database_errors` gave the route hid the include's."""
    add_ok(project, "db", "--kind", "sqlite")

    result = subprocess.run(
        [sys.executable, "-c", INCLUDED], cwd=project, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    reasons = json.loads(result.stdout).splitlines()
    assert reasons[0] == "Any of:"
    assert reasons[1] == "- Uploads are paused"
    assert reasons[2].startswith("- The database is unavailable or busy")
