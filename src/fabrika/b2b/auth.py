"""Who is calling the B2B entry and what they may do: the API key (checked before any
lookup, then at the CRM behind a one-second cache), the scope the endpoint needs, and the
quota its kind of call draws on.

A revoked key stops working on every instance within the cache's second; the CRM is asked
once a second per key and instance, not once a request.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fabrika.b2b.quotas import Quotas, quota_exceeded, rate_limit_headers
from fabrika.contracts.accounts import AccountView, Authenticated, KeyView, PolicyKind
from fabrika.contracts.accounts import Scope as KeyScope
from fabrika.core.errors import Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.core.keys import hash_api_key, well_formed
from fabrika.crm.client import CrmClient

KEY_CACHE_TTL_S = 1.0
bearer = HTTPBearer(
    auto_error=False, description="Your API key: `Authorization: Bearer fab_live_…`"
)


def key_cache() -> TTLCache[str, Authenticated]:
    return TTLCache(maxsize=10_000, ttl=KEY_CACHE_TTL_S)


@dataclass(frozen=True)
class Partner:
    """The caller of a partner endpoint: its account and the key it used."""

    account: AccountView
    key: KeyView


def unauthorized(detail: str) -> Problem:
    return Problem(
        detail,
        status=401,
        type="unauthorized",
        title="Unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _authenticated(request: Request, api_key: str) -> Authenticated:
    if not well_formed(api_key):
        raise unauthorized("The API key is not valid: check that it was copied whole.")
    known: TTLCache[str, Authenticated] = request.app.state.keys
    key_hash = hash_api_key(api_key)
    if (found := known.get(key_hash)) is not None:
        return found
    try:
        found = await CrmClient(request.app.state.http).authenticate(api_key)
    except ServiceError as exc:
        if exc.status in (401, 422):
            raise unauthorized("The API key is not valid, or was revoked or has expired.") from exc
        raise problem_from(exc) from exc
    known[key_hash] = found
    return found


def partner(scope: KeyScope, kind: PolicyKind) -> Callable[..., Awaitable[Partner]]:
    """The dependency of an endpoint that needs `scope` and draws on the `kind` quota."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Partner:
        if credentials is None:
            raise unauthorized("Send your API key as `Authorization: Bearer <key>`.")
        found = await _authenticated(request, credentials.credentials)
        if scope not in found.key.scopes:
            raise Problem(
                f"This key lacks the scope {scope.value}; use a key that has it, or ask "
                "for one to be made.",
                status=403,
                type="insufficient-scope",
                title="Forbidden",
                required_scope=scope.value,
            )
        await _charge(request, found.account, kind)
        return Partner(account=found.account, key=found.key)

    return dependency


async def _charge(request: Request, account: AccountView, kind: PolicyKind) -> None:
    policy = account.plan.policies.get(kind)
    if policy is None:  # a plan without this kind of call does not limit it
        return
    quotas: Quotas = request.app.state.quotas
    verdict = await quotas.charge(str(account.id), kind, policy)
    request.state.rate_limit = rate_limit_headers(kind, policy, verdict)
    request.state.policy = kind.value
    if not verdict.allowed:
        raise quota_exceeded(str(account.id), kind, policy, verdict)


class RateLimitHeaders:
    """Adds the quota headers a request's dependency worked out to its answer, whatever
    the answer is (an error from a handler included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get("rate_limit")
                if extra:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    message.setdefault("headers", []).extend(
                        (name.lower().encode(), value.encode())
                        for name, value in extra.items()
                        if name.lower().encode() not in present
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
