"""The growth figure's method: trials alternate reference, grown, ... per load, and the
ratios are of the per-store medians of p50 and p99 (no servers: the load is faked)."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import uuid4

from bench import growth
from bench.load import LoadResult
from bench.populate import Tenant


def tenant() -> Tenant:
    return Tenant("tok", "org", "team", "ws", uuid4(), uuid4(), uuid4(), "reader")


def test_trials_alternate_and_ratios_are_of_medians(monkeypatch):
    calls: list[str] = []
    # p50 per call: the reference always 10 ms, the grown store 20, 30, 40 ms in turn.
    grown_p50 = iter([20.0, 30.0, 40.0] * 3)

    def fake_run_load(url, *, connections, seconds, token, method):
        store = "reference" if url.startswith("http://ref") else "grown"
        calls.append(store)
        p50 = 10.0 if store == "reference" else next(grown_p50)
        return LoadResult("fake", connections, seconds, 100, 0, p50, 2 * p50, p50)

    monkeypatch.setattr(growth.load, "run_load", fake_run_load)
    ref = (SimpleNamespace(base_url="http://ref"), tenant())
    big = (SimpleNamespace(base_url="http://big"), tenant())

    out = growth.alternate(ref, big, trials=3, seconds=1.0)

    assert calls == ["reference", "grown"] * 9
    for key in growth.LOADS:
        assert len(out[key]["reference"]["trials"]) == len(out[key]["grown"]["trials"]) == 3
        assert out[key]["grown"]["p50_ms"] == 30.0
        assert out[key]["ratio_p50"] == out[key]["ratio_p99"] == 3.0
