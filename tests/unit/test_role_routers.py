"""The command app and the query app split every operation between them: writes to one,
reads to the other, and `all` serves the same document as both together."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from api.app import create_app


def spec(role: str) -> dict:
    services = SimpleNamespace(idempotency=None, max_body_bytes=1, catalog=SimpleNamespace())
    services.catalog.max_bundle_bytes = 1
    return create_app(services, role=role).openapi()  # type: ignore[arg-type]


def operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, methods in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in methods.items()
    }


@pytest.fixture(scope="module")
def by_role() -> dict[str, dict[tuple[str, str], dict]]:
    return {role: operations(spec(role)) for role in ("all", "commands", "queries")}


def test_the_query_app_serves_every_read_and_nothing_else(by_role):
    reads = {key for key in by_role["all"] if key[1] == "get"}
    assert reads and set(by_role["queries"]) == reads


def test_the_command_app_serves_every_write_and_nothing_else(by_role):
    writes = {key for key in by_role["all"] if key[1] != "get"}
    assert writes and set(by_role["commands"]) == writes


def test_all_is_both_apps_together_operation_for_operation(by_role):
    assert by_role["all"] == {**by_role["commands"], **by_role["queries"]}


def test_all_is_the_default(by_role):
    services = SimpleNamespace(
        idempotency=None, max_body_bytes=1, catalog=SimpleNamespace(max_bundle_bytes=1)
    )
    assert operations(create_app(services).openapi()) == by_role["all"]  # type: ignore[arg-type]
