"""What an attempt gets to reach the agent API: a token minted for it (scoped to its org,
project, task and attempt; expiring at its deadline plus a grace) and the API's URL. The
runtimes hand both to the agent as SIGNALYARD_AGENT_TOKEN and SIGNALYARD_API_URL (the
kubernetes runtime through the attempt's Secret)."""

from __future__ import annotations

from domain.core.context import system_context
from domain.tasks.attempt_access import AttemptTokens
from domain.tasks.task import Task


class AgentAccess:
    def __init__(self, tokens: AttemptTokens, api_url: str) -> None:
        self.tokens = tokens
        self.api_url = api_url

    def __call__(self, task: Task) -> dict[str, str]:
        """The LaunchSpec fields for the task's current (claimed) attempt."""
        minted = self.tokens.mint(system_context(), task.id, task.attempt)
        return {"agent_token": minted.secret, "api_url": self.api_url}
