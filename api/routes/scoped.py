"""One handler served at several scopes (org, workspace, project): each route's function
declares its scope's path parameters, so the OpenAPI document names them, and the handler
gets them as one tuple, `refs`."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

SCOPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "org": ("/orgs/{org}", ("org",)),
    "workspace": ("/orgs/{org}/teams/{team}/workspaces/{ws}", ("org", "team", "ws")),
    "project": (
        "/orgs/{org}/teams/{team}/workspaces/{ws}/projects/{project}",
        ("org", "team", "ws", "project"),
    ),
}


def at_scope(handler: Callable[..., Any], scope: str) -> Callable[..., Any]:
    """`handler(refs=..., **rest)` as a function of the scope's path parameters and `rest`."""
    names = SCOPES[scope][1]
    signature = inspect.signature(handler)
    # Resolved here: FastAPI would resolve string annotations in this module's globals.
    hints = typing.get_type_hints(handler, include_extras=True)
    keyword = inspect.Parameter.KEYWORD_ONLY
    path = [inspect.Parameter(n, keyword, annotation=str) for n in names]
    rest = [
        p.replace(kind=keyword, annotation=hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
        if p.name != "refs"
    ]

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def route(**kwargs: Any) -> Any:
            return await handler(refs=tuple(kwargs.pop(n) for n in names), **kwargs)

    else:

        @functools.wraps(handler)
        def route(**kwargs: Any) -> Any:
            return handler(refs=tuple(kwargs.pop(n) for n in names), **kwargs)

    del route.__wrapped__  # FastAPI must read the signature below, not the handler's
    returns = hints.get("return", inspect.Signature.empty)
    route.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*path, *rest], return_annotation=returns
    )
    route.__name__ = f"{handler.__name__}_at_{scope}"
    return route
