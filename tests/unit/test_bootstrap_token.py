"""The bootstrap token becomes an admin credential: a guessable one is refused at start,
and the processes `signalyard dev` starts never see it in their environment."""

from __future__ import annotations

import pytest

from signalyard.dev import child_env
from signalyard.settings import Settings

STRONG = "syd_Zq3vN8kR2pL6wX9yT4mB7cD1fG5hJ0sA"


@pytest.mark.parametrize("weak", ["syd_automation_token_123", "a" * 40, "syd_" + "ab" * 20])
def test_a_weak_bootstrap_token_is_refused_with_the_rule(weak):
    with pytest.raises(SystemExit, match="SIGNALYARD_BOOTSTRAP_TOKEN is too weak"):
        Settings.from_env({"SIGNALYARD_BOOTSTRAP_TOKEN": weak})


def test_a_strong_bootstrap_token_is_taken():
    assert Settings.from_env({"SIGNALYARD_BOOTSTRAP_TOKEN": STRONG}).bootstrap_token == STRONG


def test_children_never_get_the_bootstrap_token(monkeypatch):
    monkeypatch.setenv("SIGNALYARD_BOOTSTRAP_TOKEN", STRONG)
    env = child_env(Settings(database_url="postgresql://x@127.0.0.1:1/db"))
    assert "SIGNALYARD_BOOTSTRAP_TOKEN" not in env and STRONG not in env.values()
