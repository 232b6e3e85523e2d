"""Users and API tokens: registration, authentication, issuing and revoking tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.core.context import CommandContext, CommandResult, Credential, system_context
from domain.core.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from domain.core.slugs import looks_like_uuid
from domain.core.values import slug_for, validate_description, validate_name
from domain.identity.credentials import may_act
from domain.identity.token import ApiToken, new_token_secret, token_id_for
from domain.identity.user import User, validate_email
from domain.plumbing.store import EventStore
from domain.plumbing.unit_of_work import reads_only, with_read_sessions

MAX_TOKEN_NAME = 200


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    token_id: UUID
    is_platform_admin: bool
    # False: taken from the cache without a read. Checked or not, the command's first
    # read reads the token and user again and its write is refused if either changes.
    checked: bool = True

    def context(
        self,
        correlation_id: str,
        causation_id: str | None = None,
        fence: tuple[str, str, str] | None = None,
    ) -> CommandContext:
        return CommandContext(
            actor_id=self.user_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            is_platform_admin=self.is_platform_admin,
            credential=Credential(self.token_id, self.user_id, self.is_platform_admin),
            fence=fence,
        )


@dataclass(frozen=True)
class NewToken:
    """A token just issued, with its secret: the only time the secret is seen."""

    result: CommandResult
    secret: str  # shown once to the caller, never stored
    expires_at: datetime | None


@with_read_sessions
class IdentityService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    @reads_only
    def authenticate(self, secret: str) -> Principal:
        token_id = token_id_for(secret)
        known = self.store.cache.peek(token_id)  # a token's user never changes
        self.store.prefetch([token_id, known.user_id if known is not None else None])
        token = self.store.find(token_id, ApiToken)
        if token is None or not token.is_valid():
            raise Unauthenticated("invalid, expired or revoked token")
        user = self.store.find(token.user_id, User)
        if user is None or not may_act(token, user):
            raise Unauthenticated("user is disabled")
        return Principal(user.id, token.id, user.is_platform_admin)

    @reads_only
    def cached_principal(self, secret: str) -> Principal | None:
        """The principal as this process last saw it, without I/O; None when the token or
        its user is not cached or may not act. Only for commands: their first read checks
        it again (see `Credential`)."""
        token = self.store.cache.peek(token_id_for(secret))
        if not isinstance(token, ApiToken):
            return None
        user = self.store.cache.peek(token.user_id)
        if not isinstance(user, User) or not may_act(token, user):
            return None
        return Principal(user.id, token.id, user.is_platform_admin, checked=False)

    def register_user(
        self,
        ctx: CommandContext,
        name: str,
        slug: str | None = None,
        email: str | None = None,
        description: str = "",
        is_service_account: bool = False,
        is_platform_admin: bool = False,
    ) -> CommandResult:
        if not ctx.is_platform_admin:
            raise PermissionDenied("only platform admins register users")
        name = validate_name(name)
        slug = slug_for(name, slug)
        user = User(
            name=name,
            slug=slug,
            description=validate_description(description),
            email=validate_email(email),
            is_service_account=bool(is_service_account),
            is_platform_admin=bool(is_platform_admin),
            meta=ctx.meta(None),
        )
        claim = self.store.slugs.claim(ctx, None, "user", "", slug, user.id)
        return CommandResult.of(user, self.store.record(user, claim))

    @reads_only
    def find_user(self, ref: str) -> User:
        guid = looks_like_uuid(ref) or self.store.slugs.owner("user", "", ref)
        user = self.store.find(guid, User) if guid else None
        if user is None or user.is_deleted:
            raise NotFound(f"user {ref!r} not found")
        return user

    def _may_manage_tokens_of(self, ctx: CommandContext, user: User) -> None:
        if not (ctx.is_platform_admin or ctx.actor_id == user.id):
            raise NotFound(f"user {user.slug!r} not found")

    def issue_token(
        self,
        ctx: CommandContext,
        user_ref: str,
        name: str,
        expires_at: datetime | None,
        secret: str | None = None,
    ) -> NewToken:
        user = self.find_user(user_ref)
        self._may_manage_tokens_of(ctx, user)
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_TOKEN_NAME:
            raise InvalidInput(
                "name must be a non-empty string of at most 200 characters", field="name"
            )
        if expires_at is not None and expires_at <= datetime.now(tz=UTC):
            raise InvalidInput("expires_at must be in the future", field="expires_at")
        secret = secret or new_token_secret()
        token = ApiToken(
            id=token_id_for(secret),
            user_id=user.id,
            name=name.strip(),
            expires_at=expires_at,
            meta=ctx.meta(None),
        )
        result = CommandResult.of(token, self.store.record(token))
        return NewToken(result, secret, expires_at)

    def revoke_token(self, ctx: CommandContext, user_ref: str, token_id: UUID) -> CommandResult:
        user = self.find_user(user_ref)
        self._may_manage_tokens_of(ctx, user)
        token = self.store.find(token_id, ApiToken)
        if token is None or token.user_id != user.id:
            raise NotFound("token not found")
        token.revoke(meta=ctx.meta(None))
        return CommandResult.of(token, self.store.record(token))

    def bootstrap_admin(self, name: str, token_secret: str | None) -> NewToken | None:
        """First start: create the admin user and a token. No-op when one already exists."""
        ctx = system_context()
        if self.store.slugs.owner("user", "", "admin") is not None:
            if token_secret and self.store.find(token_id_for(token_secret), ApiToken) is None:
                return self.issue_token(ctx, "admin", "bootstrap", None, secret=token_secret)
            return None
        self.register_user(ctx, name=name, slug="admin", is_platform_admin=True)
        return self.issue_token(ctx, "admin", "bootstrap", None, secret=token_secret)
