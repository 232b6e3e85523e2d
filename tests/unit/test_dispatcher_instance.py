"""DispatcherInstance: registered online; only changes of status are events (lost once,
online again once), and its recorded bus config never holds credentials."""

from __future__ import annotations

from domain.infra.dispatcher_instance import LOST, ONLINE, DispatcherInstance, dispatcher_id_of

META = {"actor": "system", "correlation_id": "c", "causation_id": None, "tenant_id": None}
BUS = {"url": "nats://127.0.0.1:4222", "stream": "SIGNALYARD", "durable": "dispatcher-a"}


def _registered() -> DispatcherInstance:
    return DispatcherInstance(
        id=dispatcher_id_of("a"),
        name="a",
        endpoint_url=None,
        dispatch_mode="pull",
        runtime="local",
        bus_config=BUS,
        meta=META,
    )


def test_a_name_always_gives_the_same_dispatcher_id():
    assert dispatcher_id_of("a") == dispatcher_id_of("a") != dispatcher_id_of("b")


def test_only_changes_of_status_are_events():
    dispatcher = _registered()
    assert dispatcher.status == ONLINE
    dispatcher.come_online(BUS, "local", meta=META)  # already online: nothing
    dispatcher.mark_lost("silent", meta=META)
    dispatcher.mark_lost("silent again", meta=META)  # already lost: nothing
    assert dispatcher.status == LOST and dispatcher.reason == "silent"
    dispatcher.come_online(BUS, "local", meta=META)
    names = [type(e).__name__ for e in dispatcher.collect_events()]
    assert names == ["Registered", "MarkedLost", "CameOnline"]
    assert dispatcher.status == ONLINE


def test_a_new_runtime_or_bus_config_is_recorded_on_coming_back():
    dispatcher = _registered()
    dispatcher.collect_events()
    dispatcher.come_online({**BUS, "stream": "OTHER"}, "kubernetes", meta=META)
    assert [type(e).__name__ for e in dispatcher.collect_events()] == ["CameOnline"]
    assert dispatcher.runtime == "kubernetes" and dispatcher.bus_config["stream"] == "OTHER"
