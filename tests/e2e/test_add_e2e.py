"""A realistic sequence of `fastasync add` keeps the project green, and it serves."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tests.cli.test_schema_types import as_made_before_the_shared_types
from tests.e2e.conftest import check_project, fastasync, follow_job, run, serve

LONGEST = "customer_support_ticket_attachments_and_their_xyz"

SEQUENCE = [
    ["endpoint", "products", "name:str", "price:float", "in_stock:bool=true", "note:str?"],
    ["endpoint", "order-items", "quantity:int", "ordered_at:datetime", "ref:uuid?"],
    ["endpoint", "tags"],
    ["client", "github", "--base-url", "https://api.github.com"],
    ["client", "weather", "--base-url", "http://127.0.0.1:9/v1"],
    ["task", "summarize"],
    ["task", "crunch", "--kind", "cpu"],
    # The longest names accepted (50 characters), and names that clashed with the
    # templates' own fixture names.
    ["endpoint", f"{LONGEST}s", "title:str{200}", "note:str?"],
    ["client", f"{LONGEST}c", "--base-url", "http://[::1]:9/v1"],
    ["client", "client", "--base-url", "http://127.0.0.1:9"],
    ["task", f"{LONGEST}t", "--kind", "cpu"],
]


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_sequence_of_adds_then_again_stays_green_and_serves(tmp_path: Path) -> None:
    fastasync("new", "shop", "--yes", "--no-docker", cwd=tmp_path)
    root = tmp_path / "shop"
    for args in SEQUENCE:
        fastasync("add", *args, cwd=root)
    after_first = snapshot(root)
    for args in SEQUENCE:
        output = fastasync("add", *args, cwd=root)
        assert "Nothing to do" in output, output
    assert snapshot(root) == after_first

    output = check_project(root)
    assert " passed" in output and "failed" not in output

    with serve(root) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        created = http.post("/api/products", json={"name": "tea", "price": 3.5})
        assert created.status_code == 201
        product = created.json()
        assert product["in_stock"] is True and product["note"] is None
        url = f"/api/products/{product['id']}"
        assert http.get(url).json() == product
        assert http.get("/api/products", params={"limit": 10}).json() == [product]
        updated = http.patch(url, json={"price": 4.0})
        assert updated.status_code == 200 and updated.json()["price"] == 4.0
        assert http.delete(url).status_code == 204
        assert http.get(url).status_code == 404
        started = http.post("/api/jobs/summarize", json={"message": "done"})
        assert started.status_code == 202
        assert started.headers["location"].endswith(f"/api/jobs/{started.json()['id']}")
        job = follow_job(http, started.headers["location"])
        assert job["status"] == "succeeded" and job["result"] == {"message": "done"}


def test_a_client_s_tests_name_the_variables_with_the_settings_prefix(tmp_path: Path) -> None:
    """The client's tests set `GITHUB_TIMEOUT=0` and the like to check each is refused
    by name; with `env_prefix="APP_"` the app reads `APP_GITHUB_TIMEOUT`, so they
    failed on a project whose only change was the prefix."""
    fastasync("new", "shop", "--yes", "--no-docker", "--ci", "none", "--db", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    config = root / "app/core/config.py"
    old = 'env_file=".env", env_file_encoding="utf-8", extra="ignore"'
    config.write_text(config.read_text().replace(old, f'{old}, env_prefix="APP_"'))
    fastasync("add", "client", "github", "--base-url", "https://api.github.com", cwd=root)
    assert "APP_GITHUB_TIMEOUT" in (root / ".env.example").read_text()
    output = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/clients"],
        cwd=root,
    )
    assert " passed" in output and "failed" not in output


def test_a_project_made_before_the_shared_schema_types_stays_green(tmp_path: Path) -> None:
    """Its endpoint keeps its own copy of the types, the next one imports them from
    app/schemas/types.py, which add endpoint writes: both pass every check."""
    fastasync("new", "shop", "--yes", "--db", "none", "--no-docker", "--ci", "none", cwd=tmp_path)
    root = tmp_path / "shop"
    fastasync("add", "endpoint", "products", "name:str", "qty:int", "at:datetime?", cwd=root)
    as_made_before_the_shared_types(root, "products")
    old_schema = (root / "app/schemas/products.py").read_bytes()
    output = fastasync("add", "endpoint", "orders", "price:float", "due:datetime", cwd=root)
    assert "create  app/schemas/types.py" in output, output
    assert (root / "app/schemas/products.py").read_bytes() == old_schema
    output = check_project(root, parallel=True)
    assert " passed" in output and "failed" not in output
