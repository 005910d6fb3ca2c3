"""A grown project served by uvicorn holds against hostile requests and schemathesis,
and installs and tests with uv as well as pip."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    BIN,
    clean_env,
    fastasync,
    production_options,
    run,
    serve,
    served,
)

GROWTH = [
    ["endpoint", "products", "name:str{80}", "price:float", "stock:int=0", "note:str?"],
    ["endpoint", "order-items", "quantity:int", "ordered_at:datetime", "ref:uuid?"],
    ["client", "weather", "--base-url", "http://127.0.0.1:9/v1"],
    ["task", "summarize"],
    ["task", "crunch", "--kind", "cpu"],
]
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hardening") / "shop"
    fastasync("new", root, "--yes", cwd=root.parent)
    for args in GROWTH:
        fastasync("add", *args, cwd=root)
    # The default project has a SQLite database: create its tables, as its README says.
    run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=root)
    return root


@pytest.fixture(scope="module")
def base_url(grown: Path) -> Iterator[str]:
    # As the README says to run it in production (its protocol bounds request heads).
    with serve(grown, options=production_options(grown)) as url:
        yield url


def test_a_request_head_without_end_is_refused_431_not_kept(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")
        line = b"x-flood: " + b"a" * 1000 + b"\r\n"
        try:
            # 64 MiB if the server kept reading; it stops at MAX_HEADER_BYTES (32 KiB).
            while sent < 64 * MIB:
                conn.sendall(line)
                sent += len(line)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = conn.recv(4096)

    assert answer.startswith(b"HTTP/1.1 431 "), answer
    assert sent < 64 * MIB
    with httpx.Client(base_url=base_url, timeout=30) as http:
        big_but_within = http.get("/health", headers={"x-big": "a" * 30_000})
    assert big_but_within.status_code == 200


def test_slow_and_silent_connections_are_closed_after_their_timeouts(grown: Path) -> None:
    """Slowloris and R.U.D.Y.: heads and bodies that trickle in, and connections that
    send nothing, are not kept for ever (uvicorn's own protocol keeps all three)."""
    env = {"HEADER_TIMEOUT_S": "1", "BODY_TIMEOUT_S": "1"}
    with serve(grown, env=env, options=production_options(grown)) as url:
        address = url.removeprefix("http://").split(":")
        where = (address[0], int(address[1]))
        with (
            socket.create_connection(where) as silent,
            socket.create_connection(where) as slow_head,
            socket.create_connection(where) as slow_body,
        ):
            slow_head.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")
            slow_body.sendall(
                b"POST /api/products HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
            head_answer, body_answer = _trickle({slow_head: b"x", slow_body: b" "})
            silent.settimeout(30)
            said = silent.recv(4096)
        with httpx.Client(base_url=url, timeout=30) as http:
            still_served = http.get("/health").status_code

    assert head_answer.startswith(b"HTTP/1.1 408 "), head_answer
    assert b"HEADER_TIMEOUT_S" in head_answer
    assert body_answer.startswith(b"HTTP/1.1 408 "), body_answer
    assert b"BODY_TIMEOUT_S" in body_answer
    assert said == b""  # closed without an answer
    assert still_served == 200
    log = (grown / "uvicorn.log").read_text()
    assert "Traceback" not in log, log


def _trickle(connections: dict[socket.socket, bytes]) -> list[bytes]:
    """Send each connection its byte every 0.1 s (30 s at most) until each is answered;
    the answers, in order."""
    answers = dict.fromkeys(connections, b"")
    for connection in connections:
        connection.setblocking(False)
    for _ in range(300):
        waiting = [c for c, answer in answers.items() if not answer]
        if not waiting:
            break
        for connection in waiting:
            try:
                answer = connection.recv(4096)
            except BlockingIOError:
                connection.sendall(connections[connection])
                continue
            answers[connection] = answer or b"(closed without an answer)"
        time.sleep(0.1)
    return list(answers.values())


def test_bodies_over_the_limit_are_refused_with_content_length_or_chunked(
    base_url: str,
) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        # Transfer-Encoding: chunked, 8 MiB in all if the server kept reading.
        nonlocal sent
        for _ in range(128):
            sent += 1
            yield b"x" * (64 * 1024)

    with httpx.Client(base_url=base_url, timeout=30) as http:
        whole = http.post("/api/products", content=b"x" * (2 * MIB))
        chunked = http.post(
            "/api/products", content=chunks(), headers={"Content-Type": "application/json"}
        )
        within = http.post("/api/products", json={"name": "tea", "price": 1.0})

    assert whole.status_code == 413
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert chunked.status_code == 413
    assert within.status_code == 201


def test_no_answer_carries_a_host_the_client_made_up(base_url: str) -> None:
    spoofed = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        slash = http.get("/api/products/", headers=spoofed)
        created = http.post("/api/products", json={"name": "tea", "price": 1}, headers=spoofed)
        job = http.post("/api/jobs/summarize", json={"message": "hi"}, headers=spoofed)

    assert slash.status_code == 404
    for response in (slash, created, job):
        assert "evil.example" not in str(response.headers)
    assert created.headers["location"] == f"/api/products/{created.json()['id']}"
    assert job.headers["location"] == f"/api/jobs/{job.json()['id']}"


def test_bounds_answer_422_not_500(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        deep = http.get("/api/products", params={"offset": 2**63})
        long_name = http.post("/api/products", json={"name": "x" * 81, "price": 1})
        huge = http.post("/api/products", json={"name": "a", "price": 1, "stock": 2**64})
        nan = http.post(
            "/api/products",
            content=b'{"name": "a", "price": NaN}',
            headers={"Content-Type": "application/json"},
        )
    assert [r.status_code for r in (deep, long_name, huge, nan)] == [422] * 4
    assert nan.json()["detail"][0]["input"] == "nan"


def test_bodies_that_are_not_json_text_answer_422_not_400_or_500(base_url: str) -> None:
    json_type = {"Content-Type": "application/json"}
    bodies = {
        "not UTF-8": b'{"name": "\xff", "price": 1}',
        "nested too deeply": b"[" * 100_000 + b"]" * 100_000,
        "5,000-digit integer": b'{"name": "tea", "price": ' + b"9" * 5000 + b"}",
        "unpaired surrogate": b'{"name": "\\ud800", "price": 1}',
    }
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answers = {
            f"{route} {what}": http.post(route, content=body, headers=json_type)
            for route in ("/api/products", "/api/jobs/summarize")
            for what, body in bodies.items()
        }
        other_type = http.post(
            "/api/products", content=b"\xff", headers={"Content-Type": "text/plain"}
        )
        listed = http.get("/api/products", params={"limit": 100})

    for what, response in answers.items():
        assert response.status_code == 422, f"{what}: {response.text}"
        assert response.json()["detail"][0]["type"] == "json_invalid", what
    assert other_type.status_code == 422
    assert listed.status_code == 200  # nothing unencodable was stored


def test_a_422_does_not_echo_a_large_body(base_url: str) -> None:
    # Both required fields missing: FastAPI's own answer held the body once for each.
    padding = b'{"padding": [' + b",".join([b"[1]"] * 200_000) + b"]}"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answer = http.post(
            "/api/products", content=padding, headers={"Content-Type": "application/json"}
        )

    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [
        ["body", "name"],
        ["body", "price"],
    ]
    assert len(answer.content) < 1000


def test_large_json_bodies_at_once_are_bounded_by_json_in_flight(grown: Path) -> None:
    """40 valid products, each with 1 MiB of `{}` in an extra field, sent at once:
    parsed, each grows the server by ~24 MB, ~1 GB for all 40 (measured before
    JSON_IN_FLIGHT_MAX_BYTES, benchmarks/body_memory.py). Within its 8 MiB the
    ones that do not fit get 503 with `Retry-After`, and the server stays small."""
    extra = b",".join([b"{}"] * ((MIB - 100) // 3))
    body = b'{"name": "tea", "price": 1.5, "x": [' + extra + b"]}"
    assert len(body) <= MIB  # within MAX_BODY_BYTES: every one reaches the app
    request = (
        b"POST /api/products HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
        b"\r\nContent-Length: %d\r\n\r\n" % len(body)
    ) + body
    with served(grown, options=production_options(grown)) as (url, process):
        host, port = url.removeprefix("http://").split(":")
        before = _memory(process.pid)["VmRSS"]
        answers = _send_at_once((host, int(port)), request, count=40)
        peak = _memory(process.pid)["VmHWM"]
        with httpx.Client(base_url=url, timeout=30) as http:
            afterwards = http.post("/api/products", json={"name": "tea", "price": 1.0})

    statuses = [answer.split(b" ", 2)[1] for answer in answers]
    assert set(statuses) <= {b"201", b"503"}, answers
    assert statuses.count(b"201") >= 1
    assert statuses.count(b"503") >= 1  # more than 8 MiB of bodies were at hand at once
    for answer in answers:
        if b" 503 " in answer.split(b"\r\n", 1)[0]:
            assert b"\r\nretry-after: 1\r\n" in answer.lower(), answer
    # Generous: 8 MiB of such bodies parsed is ~200 MB; all 40 would be ~1 GB.
    assert peak - before < 500 * MIB, f"grew by {(peak - before) / MIB:.0f} MB"
    assert afterwards.status_code == 201


def _memory(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the highest yet) of a process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM")}


def _send_at_once(where: tuple[str, int], request: bytes, count: int) -> list[bytes]:
    """Send `request` on `count` connections, all but its last byte first, then the
    last bytes together; each connection's answer up to the end of its head."""
    answers = [b""] * count
    ready = threading.Barrier(count)

    def one(index: int) -> None:
        with socket.create_connection(where, timeout=120) as connection:
            connection.sendall(request[:-1])
            ready.wait(timeout=120)
            connection.sendall(request[-1:])
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
            answers[index] = answer

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return answers


def test_allowed_hosts_and_cors_come_from_plain_env_lists(grown: Path) -> None:
    env = {
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CORS_ORIGINS": "https://a.example,https://b.example",
    }
    preflight = {"Origin": "https://b.example", "Access-Control-Request-Method": "POST"}
    with serve(grown, env=env) as url, httpx.Client(base_url=url, timeout=30) as http:
        ours = http.get("/health")
        theirs = http.get("/health", headers={"Host": "evil.example"})
        allowed = http.options("/api/products", headers=preflight)
        other = http.get("/health", headers={"Origin": "https://c.example"})

    assert ours.status_code == 200
    assert theirs.status_code == 400
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    assert "access-control-allow-origin" not in other.headers


def test_schemathesis_finds_nothing_over_http(base_url: str, grown: Path) -> None:
    checks = "not_a_server_error,status_code_conformance,response_schema_conformance,"
    checks += "content_type_conformance"
    result = subprocess.run(
        [
            BIN / "schemathesis",
            "run",
            f"{base_url}/openapi.json",
            "--checks",
            checks,
            "--max-examples",
            "30",
            "--seed",
            "20261202",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            "none",
            "--no-color",
        ],
        cwd=grown,
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout


def test_uv_sync_then_uv_run_pytest_works(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(BIN))
    assert uv is not None, "uv is in the dev extra"
    fastasync("new", "lean", "--yes", "--no-docker", cwd=tmp_path)
    root = tmp_path / "lean"
    # This interpreter, so uv downloads no Python; packages come from its cache or PyPI.
    env = {"UV_PYTHON": sys.executable, "UV_LINK_MODE": "copy"}
    run([uv, "sync"], cwd=root, env=env, timeout=900)
    output = run(
        [uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, env=env
    )
    assert " passed" in output and "failed" not in output
    run([uv, "run", "--no-sync", "mypy"], cwd=root, env=env)
