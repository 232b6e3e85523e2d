"""With the library's stock recorder (SIGNALYARD_EVENT_RECORDER=stock, kept for comparison)
the API still serves keyed writes and reads: the write side's outcome tables exist whichever
recorder writes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.api import read_after, unique
from support.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stock_stack(module_db_url: str) -> Iterator[Stack]:
    with running_stack(module_db_url, event_recorder="stock") as running:
        yield running


def test_keyed_writes_and_reads_work_on_the_stock_recorder(stock_stack):
    key = {"Idempotency-Key": unique("key")}
    with stock_stack.admin() as admin:
        body = {"name": unique("Stock")}
        first = admin.post("/v1/orgs", json=body, headers=key)
        again = admin.post("/v1/orgs", json=body, headers=key)
        listed = admin.get("/v1/orgs", params=read_after(first))
    assert first.status_code == 201, first.text
    assert again.headers.get("Idempotent-Replayed") == "true", (again.status_code, again.text)
    assert first.json()["guid"] in [o["guid"] for o in listed.json()["items"]]
