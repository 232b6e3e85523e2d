"""The OpenAPI document declares every answer an operation can give, as problem+json."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from api.app import create_app

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def spec() -> dict:
    services = SimpleNamespace(idempotency=None, max_body_bytes=1, catalog=SimpleNamespace())
    services.catalog.max_bundle_bytes = 1
    return create_app(services).openapi()  # type: ignore[arg-type]


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        if path.startswith("/v1/"):
            for method, operation in methods.items():
                yield path, method, operation


def test_every_operation_declares_the_answers_every_request_can_get(spec):
    for path, method, operation in operations(spec):
        answers = operation["responses"]
        for status in ("400", "401", "422", "503"):
            assert answers[status]["content"] == PROBLEM, (method, path, status)
        assert answers["503"]["headers"]["Retry-After"]["required"], (method, path)
        assert operation["security"] == [{"bearer": []}], (method, path)
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, "the bearer scheme replaces the header parameter"
        if "{" in path:
            assert "404" in answers, (method, path)


def test_writes_declare_conflicts_limits_media_types_and_preconditions(spec):
    for path, method, operation in operations(spec):
        answers = operation["responses"]
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        if method != "get":
            # The agent and dispatcher APIs take no role, only their own tokens: no 403 there.
            roles = set() if path.startswith(("/v1/agent/", "/v1/dispatch/")) else {"403"}
            assert {"409", "413"} | roles <= set(answers), (method, path)
        if "requestBody" in operation:
            assert "415" in answers, (method, path)
        if "if-match" in names:
            assert {"412", "428"} <= set(answers), (method, path)
        assert ("idempotency-key" in names) == (method == "post"), (method, path)


def test_the_problem_schema_names_what_is_emitted(spec):
    problem = spec["components"]["schemas"]["Problem"]
    expected = {"type", "title", "status", "detail", "instance", "errors", "current_version"}
    expected |= {"current_status", "current_attempt"}  # a task's refused transition or report
    assert set(problem["properties"]) == expected
    assert {"field", "message"} <= set(spec["components"]["schemas"]["FieldError"]["required"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_successes_declare_every_status_and_media_type_returned(spec):
    paths = spec["paths"]
    bundle = paths["/v1/orgs/{org}/skills/{skill}/versions/{number}/bundle"]["get"]
    assert set(bundle["responses"]["200"]["content"]) == {"application/zip"}
    for path, method in [
        ("/v1/orgs/{org}/skills/{skill}/versions", "post"),
        ("/v1/orgs/{org}/configs/{config}/versions", "post"),
        ("/v1/orgs/{org}/config-categories/{category}", "put"),
        ("/v1/orgs/{org}/members/{user}", "put"),
        ("/v1/orgs/{org}/teams/{team}/members/{user}", "put"),
    ]:
        assert {"200", "201"} <= set(paths[path][method]["responses"]), (method, path)


def test_allow_lists_the_methods_of_the_most_specific_path_template():
    from api.app import COMMAND_ROUTERS, MIXED_ROUTERS, QUERY_ROUTERS
    from api.contract import allowed_methods

    routes = [
        r for router in (*COMMAND_ROUTERS, *QUERY_ROUTERS, *MIXED_ROUTERS) for r in router.routes
    ]
    assert allowed_methods(routes, "/v1/orgs/acme") == ["DELETE", "GET", "PATCH"]
    assert allowed_methods(routes, "/v1/tools/t:validate") == ["POST"]
    assert allowed_methods(routes, "/v1/nowhere") == []
