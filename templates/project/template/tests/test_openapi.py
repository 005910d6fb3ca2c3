"""Every route answers only what its OpenAPI schema documents, for any input.

Schemathesis generates requests from the app's own schema, valid and invalid, and
checks each answer: no server error, a documented status, a documented content
type, and a body matching the documented schema. Routes added later (by hand or by
`fastasync add endpoint`) are covered without a new test.
"""

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

# schemathesis's `not_a_server_error` fails every 5xx; a 502, 503 or 504 the route
# documents (an upstream or the database is down) is an answer, not a bug. A 500
# is always a bug, and `status_code_conformance` fails any undocumented status.
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Requests per route and mode; raise it for a deeper (slower) search.
EXAMPLES = 25


def test_every_route_keeps_to_its_schema(app: FastAPI) -> None:
    # The app runs in process; schemathesis starts its lifespan.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema itself is invalid
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,  # the same requests on every run: CI is repeatable
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case[Any]) -> None:
                response = case.call()
                assert response.status_code != 500, (
                    f"500 Internal Server Error for {case.as_curl_command()}"
                )
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                # No invalid request exists for a route without inputs.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # every route's failure, not only the first
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    assert not failures, "\n\n".join(failures)
