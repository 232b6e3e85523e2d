"""Settings: every variable named, documented and checked."""

from __future__ import annotations

import pytest

from signalyard.settings import Settings


def test_every_setting_has_its_variable_and_a_description():
    for field, info in Settings.model_fields.items():
        name = Settings.env_name(field)
        assert name == "DATABASE_URL" or name.startswith("SIGNALYARD_"), field
        assert info.description, field


def test_only_from_env_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SIGNALYARD_PORT", "9123")
    assert Settings().port == 8000
    assert Settings.from_env().port == 9123
    assert Settings.from_env({"SIGNALYARD_PORT": ""}).port == 8000  # empty means unset


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIGNALYARD_PORT": "eighty"}, "SIGNALYARD_PORT must be an integer, got 'eighty'"),
        ({"SIGNALYARD_POOL_SIZE": "0"}, "SIGNALYARD_POOL_SIZE must be at least 1, got '0'"),
        ({"SIGNALYARD_LOG_LEVEL": "loud"}, "SIGNALYARD_LOG_LEVEL must be one of critical"),
        ({"SIGNALYARD_API_ROLE": "both"}, "SIGNALYARD_API_ROLE must be one of all"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable_and_rule(env, message):
    with pytest.raises(SystemExit) as refused:
        Settings.from_env(env)
    assert str(refused.value.code).startswith(message)


def test_overrides_are_checked_and_none_keeps_the_value():
    settings = Settings(port=9000).with_overrides(port=None, host="0.0.0.0")
    assert (settings.port, settings.host) == (9000, "0.0.0.0")
    with pytest.raises(SystemExit, match="SIGNALYARD_API_WORKERS must be at least 1"):
        settings.with_overrides(api_workers=0)
