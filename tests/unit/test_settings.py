"""Settings: every variable named, documented and checked; `signalyard config` shows the
effective values with the secrets masked."""

from __future__ import annotations

import pytest

from signalyard.cli import main
from signalyard.settings import Settings

STRONG = "syd_Zq3vN8kR2pL6wX9yT4mB7cD1fG5hJ0sA"


# The external services keep the names their own tools use.
EXTERNAL = {
    "DATABASE_URL",
    "NATS_URL",
    "NATS_STREAM",
    "NATS_STREAM_MAX_AGE",
    "NATS_STREAM_REPLICAS",
    "NATS_CREDS",
    "NATS_ACCOUNT_PUBLIC_KEY",
    "NATS_ACCOUNT_SIGNING_SEED",
    "NATS_OPERATOR_SEED",
    "NATS_SYSTEM_CREDS",
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_TLS",
    "KUBECONFIG",
    # The names every Vault and OpenBao client reads.
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_ROLE_ID",
    "VAULT_SECRET_ID",
    "VAULT_KV_MOUNT",
    "VAULT_PATH_PREFIX",
}


def test_every_setting_has_its_variable_and_a_description():
    for field, info in Settings.model_fields.items():
        name = Settings.env_name(field)
        assert name in EXTERNAL or name.startswith("SIGNALYARD_"), field
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
        (
            {"SIGNALYARD_RUNTIME_IMAGE_COMMANDS": '{"acme/agent:1": []}'},
            "SIGNALYARD_RUNTIME_IMAGE_COMMANDS maps 'acme/agent:1' to an empty command",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable_and_rule(env, message):
    with pytest.raises(SystemExit) as refused:
        Settings.from_env(env)
    assert str(refused.value.code).startswith(message)


def test_the_image_command_mapping_is_read_as_json():
    env = {"SIGNALYARD_RUNTIME_IMAGE_COMMANDS": '{"acme/agent:1": ["/opt/agent/run", "--fast"]}'}
    commands = Settings.from_env(env).runtime_image_commands
    assert commands == {"acme/agent:1": ["/opt/agent/run", "--fast"]}


def test_overrides_are_checked_and_none_keeps_the_value():
    settings = Settings(port=9000).with_overrides(port=None, host="0.0.0.0")
    assert (settings.port, settings.host) == (9000, "0.0.0.0")
    with pytest.raises(SystemExit, match="SIGNALYARD_API_WORKERS must be at least 1"):
        settings.with_overrides(api_workers=0)


def test_config_prints_the_effective_settings_with_secrets_masked(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cr3t-pw@db.internal:5433/signalyard")
    monkeypatch.setenv("SIGNALYARD_BOOTSTRAP_TOKEN", STRONG)
    monkeypatch.setenv("SIGNALYARD_API_WORKERS", "3")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "s3cr3t-pw" not in out and STRONG not in out
    assert "postgresql://app:***@db.internal:5433/signalyard" in out
    rows = {cells[0]: cells[1] for cells in map(str.split, out.splitlines()) if len(cells) > 1}
    assert rows["SIGNALYARD_BOOTSTRAP_TOKEN"] == "***"
    assert rows["SIGNALYARD_API_WORKERS"] == "3"
    assert rows["SIGNALYARD_EVENT_RECORDER"] == "grouped"


def test_config_masks_a_key_value_password_and_says_when_the_database_is_embedded(
    monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", "host=db user=app password=s3cr3t-pw dbname=signalyard")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "s3cr3t-pw" not in out and "password=***" in out
    monkeypatch.delenv("DATABASE_URL")
    assert main(["config"]) == 0
    assert "embedded Postgres" in capsys.readouterr().out


def test_a_bad_setting_stops_every_command_with_its_rule(monkeypatch, capsys):
    monkeypatch.setenv("SIGNALYARD_API_WORKERS", "0")
    assert main(["config"]) == 1
    assert "SIGNALYARD_API_WORKERS must be at least 1" in capsys.readouterr().err


def test_agents_are_given_the_api_this_host_serves_unless_told_otherwise():
    assert Settings(port=9000).agent_api_base_url == "http://127.0.0.1:9000"
    assert Settings(host="0.0.0.0", port=9001).agent_api_base_url == "http://127.0.0.1:9001"
    assert Settings(host="::", port=9002).agent_api_base_url == "http://[::1]:9002"
    told = Settings.from_env({"SIGNALYARD_AGENT_API_URL": "https://signalyard.example"})
    assert told.agent_api_base_url == "https://signalyard.example"
