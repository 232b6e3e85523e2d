"""What a request answers when its write committed but its own response was lost."""

from __future__ import annotations

import json

# Set by the API on a 503 whose write may have committed (the key stays bound to it).
OUTCOME_HEADER = "x-signalyard-outcome"
# Set in the request's state by a route whose response carries a secret (a new token).
SECRET_SHOWN_ONCE = "secret_shown_once"


def committed_reply(position: int | None) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(
        {
            "outcome": "committed",
            "position": position,
            "detail": "the request's write committed; its response was not kept."
            " Read the resource to see it.",
        }
    ).encode()
    headers = {"content-type": "application/json"}
    if position is not None:
        headers["x-signalyard-position"] = str(position)
    return 200, headers, body


def secret_shown_once(path: str) -> tuple[int, dict[str, str], bytes]:
    """What a replay of a response that carried a secret answers: the secret is not kept."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Secret shown once",
            "status": 409,
            "detail": "the request succeeded and its response carried a secret, which is"
            " shown once and never stored; list the resource to see it without the secret",
            "instance": path,
        }
    ).encode()
    return 409, {"content-type": "application/problem+json"}, body
