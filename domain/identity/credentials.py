"""When an API token may act: shared by authentication and the deferred credential check."""

from __future__ import annotations

from typing import Any

from domain.core.context import Credential
from domain.identity.token import ApiToken
from domain.identity.user import User


def may_act(token: Any, user: Any) -> bool:
    """A valid (not revoked, not expired) token of an enabled user."""
    return (
        isinstance(token, ApiToken)
        and token.is_valid()
        and isinstance(user, User)
        and user.id == token.user_id
        and not user.is_deleted
        and user.is_active
    )


def still_holds(credential: Credential, token: Any, user: Any) -> bool:
    """The credential a command started with is what the token and user are now."""
    return (
        may_act(token, user)
        and user.id == credential.user_id
        and user.is_platform_admin == credential.is_platform_admin
    )
