"""The OpenAPI document lists the catalog's routes and the upload content types."""

from __future__ import annotations

SKILL = "/v1/orgs/{org}/skills/{skill}"
CONFIG = "/v1/orgs/{org}/configs/{config}"
CATALOG_ROUTES = {
    "/v1/orgs/{org}/skills": {"get", "post"},
    SKILL: {"get", "patch", "delete"},
    SKILL + ":undelete": {"post"},
    SKILL + ":rollback": {"post"},
    SKILL + "/history": {"get"},
    SKILL + "/diff": {"get"},
    SKILL + "/versions": {"get", "post"},
    SKILL + "/versions/{number}": {"get"},
    SKILL + "/versions/{number}/bundle": {"get"},
    "/v1/orgs/{org}/configs": {"get", "post"},
    CONFIG: {"get", "patch", "delete"},
    CONFIG + ":undelete": {"post"},
    CONFIG + ":rollback": {"post"},
    CONFIG + "/history": {"get"},
    CONFIG + "/diff": {"get"},
    CONFIG + "/versions": {"get", "post"},
    CONFIG + "/versions/{number}": {"get"},
    "/v1/orgs/{org}/config-categories": {"get"},
    "/v1/orgs/{org}/config-categories/{category}": {"get", "put", "delete"},
    "/v1/orgs/{org}/config-categories/{category}/history": {"get"},
    "/v1/tools": {"get", "post"},
    "/v1/tools/{tool}": {"get", "patch", "delete"},
    "/v1/tools/{tool}:undelete": {"post"},
    "/v1/tools/{tool}:validate": {"post"},
    "/v1/tools/{tool}/history": {"get"},
    "/v1/orgs/{org}/tools": {"get", "post"},
    "/v1/orgs/{org}/tools/{tool}": {"get", "patch", "delete"},
    "/v1/orgs/{org}/tools/{tool}:undelete": {"post"},
    "/v1/orgs/{org}/tools/{tool}:validate": {"post"},
    "/v1/orgs/{org}/tools/{tool}/history": {"get"},
}


def test_catalog_routes_and_upload_types_are_documented(stack):
    with stack.client() as anonymous:
        spec = anonymous.get("/openapi.json").json()
    for path, methods in CATALOG_ROUTES.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))
    for path in ("/v1/orgs/{org}/skills", SKILL + "/versions"):
        content = spec["paths"][path]["post"]["requestBody"]["content"]
        assert {"application/json", "application/zip", "multipart/form-data"} <= set(content)
