"""Issuing, checking and revoking API bearer tokens.

A token is refused (401) once it has expired or been revoked, or when its user is no longer
active; a read token is refused (403) every method but GET and HEAD, whichever endpoint it
asks for. Both checks run in the API's one authentication step (`opspor.api`), so no
endpoint can forget them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from opspor.accounts.models import ApiToken, TokenScope, User

_PREFIX_LENGTH = 8
READING_METHODS = frozenset({"GET", "HEAD"})
# Where `presented_token` keeps what it found, so that the rate limit and the
# authentication look the token up once per request.
_CACHE_ATTRIBUTE = "_opspor_api_token"


class TokenRefused(Exception):
    """A token that exists but may no longer be used: answered 401 with `code`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class ScopeRefused(PermissionDenied):
    """A read token asked for a method that may change something: answered 403."""

    code = "token_scope"

    def __init__(self, method: str) -> None:
        super().__init__(
            f"This token has the scope 'read': it may only use GET and HEAD, not {method}. "
            "Use a token with the scope 'write'."
        )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def longest_lifetime_days() -> int:
    return int(settings.OPSPOR_API_TOKEN_DAYS)


def api_token_issue(*, user: User, scope: str = TokenScope.WRITE, days: int | None = None) -> str:
    """Create a token for `user` and return it; it is shown once and never stored.

    It lives `days` days, at most (and by default) `OPSPOR_API_TOKEN_DAYS`."""
    longest = longest_lifetime_days()
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise ValueError(f"A token lives from 1 to {longest} days, not {days}.")
    if scope not in TokenScope.values:
        raise ValueError(
            f"A token's scope is one of {', '.join(TokenScope.values)}, not {scope!r}."
        )
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        prefix=raw[:_PREFIX_LENGTH],
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return raw


def bearer_of(request: HttpRequest) -> str | None:
    """The token in the request's `Authorization: Bearer ...` header, if there is one."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    return raw if scheme.lower() == "bearer" and raw else None


def _find(raw: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()


def presented_token(request: HttpRequest) -> ApiToken | None:
    """The stored token the request presents, whatever its state; None for none or an
    unknown one. Looked up once per request."""
    if hasattr(request, _CACHE_ATTRIBUTE):
        cached: ApiToken | None = getattr(request, _CACHE_ATTRIBUTE)
        return cached
    raw = bearer_of(request)
    token = _find(raw) if raw is not None else None
    setattr(request, _CACHE_ATTRIBUTE, token)
    return token


def _accept(token: ApiToken) -> User:
    """The token's user, if the token may be used now; `TokenRefused` if not."""
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("token_revoked", "This token has been revoked; use another one.")
    if token.expires_at <= now:
        raise TokenRefused(
            "token_expired",
            f"This token expired at {token.expires_at.isoformat(timespec='seconds')}; "
            "ask for a new one.",
        )
    # Touch at most once a minute so that a busy client does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def user_for_request(request: HttpRequest, *, only_reads: bool = False) -> User | None:
    """The user whose token authenticates the request: None for no token, an unknown one
    or one of an inactive user (Ninja's plain 401), `TokenRefused` for one that has expired
    or been revoked and `ScopeRefused` for a read token asking to do more than read, unless
    the caller `only_reads` whatever the method (the CDS service, called with POST)."""
    token = presented_token(request)
    if token is None or not token.user.is_active:
        return None
    user = _accept(token)
    if not only_reads and token.scope != TokenScope.WRITE and request.method not in READING_METHODS:
        raise ScopeRefused(str(request.method))
    return user


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first, revoked and expired ones included."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_state(token: ApiToken) -> str:
    """`revoked`, `expired` or `active`, as the token's owner sees it."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= timezone.now() else "active"


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke the user's own token `token_id`; False if it was revoked already (nothing
    changes). `ApiToken.DoesNotExist` for a token that is not the user's."""
    token = tokens_of(user).get(pk=token_id)
    if token.revoked_at is not None:
        return False
    # Conditional, so that two revocations at once keep the first time.
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return updated == 1
