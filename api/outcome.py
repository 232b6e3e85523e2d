"""What a request answers when its write committed but its own response was lost."""

from __future__ import annotations

import json

# Set by the API on a 503 whose write may have committed (the key stays bound to it).
OUTCOME_HEADER = "x-signalyard-outcome"


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
