"""Idempotent partner calls (IETF httpapi Idempotency-Key draft, as Stripe does it).

A call with an Idempotency-Key is written to the ledger before it does anything, in a
transaction of its own, so that a retry finds it. Then:
- the same key, the same request, answered already → that answer again, byte for byte,
  with `Idempotent-Replayed: true` (for a day);
- the same key, another request → 422;
- the same key while the first is still running → 409 with Retry-After;
- the first one's process died mid-way → once its lock has passed, a retry runs it again;
  what it makes is named from (account, key), so running it twice makes it once.
Answers in 2xx and 4xx are kept; a 5xx is not, so that a retry can succeed.
"""

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fabrika.b2b.models import PartnerRequest
from fabrika.core.errors import Conflict, Problem, problem_response

HEADER = "Idempotency-Key"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A key of yours (best a UUID) that makes retries of this call safe: "
        "a retry with the same key answers what the first call answered, for 24 hours.",
        max_length=300,
    ),
]
KEPT_FOR = dt.timedelta(hours=24)
LOCK_FOR = dt.timedelta(seconds=10)
# What a replay carries of the first answer's headers (quota headers are the retry's own).
REPLAYED_HEADERS = ("content-type", "location", "retry-after")
NAMES = uuid.UUID("8f0b6c4e-6d43-4f1e-9a39-1b2f8d7f3a11")


def parse_key(raw: str | None) -> str | None:
    """The key as sent: a structured-field string ("abc") or bare (abc); None if absent."""
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Problem(
            f"The {HEADER} header must be 1 to 255 printable characters, best a UUID.",
            type="invalid-idempotency-key",
            title="Invalid Idempotency-Key",
        )
    return key


def required_key(raw: str | None) -> str:
    key = parse_key(raw)
    if key is None:
        raise Problem(
            f"Send an {HEADER} header (a UUID of your choosing) with this request, so a "
            "retry after a timeout cannot place a second order.",
            type="idempotency-key-missing",
            title="Idempotency-Key required",
        )
    return key


def name_for(account_id: uuid.UUID, key: str) -> uuid.UUID:
    """The id of what a keyed call makes: the same for every retry of it."""
    return uuid.uuid5(NAMES, f"{account_id}:{key}")


def fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Call:
    """One keyed call: who made it, with which key, and what it asked."""

    account_id: uuid.UUID
    key_id: uuid.UUID
    idempotency_key: str
    method: str
    path: str
    fingerprint: str
    policy: str | None
    trace_id: str | None
    resource_id: str | None = None  # what the call makes, named from (account, key)


class Ledger:
    """The ledger of keyed calls, in the b2b schema; each step in its own transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def run(
        self, call: Call, work: Callable[[], Awaitable[Response]], request: Request
    ) -> Response:
        """The answer to `call`: replayed from the ledger, or `work()`'s, kept for retries."""
        replay = await self._begin(call)
        if replay is not None:
            return replay
        try:
            response = await work()
        except Problem as problem:
            response = problem_response(problem, request)
        except BaseException:
            # Not kept (a 5xx, or a cancelled request): a retry runs it again.
            await self._forget(call)
            raise
        if response.status_code >= 500:
            await self._forget(call)
        else:
            await self._finish(call, response)
        return response

    async def _begin(self, call: Call) -> Response | None:
        now = dt.datetime.now(dt.UTC)
        entry = {
            "key_id": call.key_id,
            "method": call.method,
            "path": call.path,
            "fingerprint": call.fingerprint,
            "state": "running",
            "locked_until": now + LOCK_FOR,
            "policy": call.policy,
            "trace_id": call.trace_id,
            "resource_id": call.resource_id,
            "created_at": now,
            "expires_at": now + KEPT_FOR,
            "status_code": None,
            "response_headers": None,
            "response_body": None,
        }
        # One statement: a new key is written; an expired one (a day old) is written over,
        # as if it were new; a live one is left alone and read below.
        statement = insert(PartnerRequest).values(
            account_id=call.account_id, idempotency_key=call.idempotency_key, **entry
        )
        async with self.sessions() as session, session.begin():
            taken = await session.scalar(
                statement.on_conflict_do_update(
                    index_elements=[PartnerRequest.account_id, PartnerRequest.idempotency_key],
                    set_=entry,
                    where=PartnerRequest.expires_at <= now,
                ).returning(PartnerRequest.fingerprint)
            )
            if taken is not None:
                return None
            return await self._existing(session, call, now)

    async def _existing(
        self, session: AsyncSession, call: Call, now: dt.datetime
    ) -> Response | None:
        first = (
            await session.execute(
                select(PartnerRequest)
                .where(
                    PartnerRequest.account_id == call.account_id,
                    PartnerRequest.idempotency_key == call.idempotency_key,
                )
                .with_for_update()
            )
        ).scalar_one()
        if first.fingerprint != call.fingerprint:
            raise Problem(
                f"This {HEADER} was used for a different request ({first.method} "
                f"{first.path}); use a new key for a new request.",
                status=422,
                type="idempotency-key-reused",
                title="Idempotency-Key reused",
            )
        if first.state == "done":
            return _replay(first)
        if first.locked_until > now:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                type="idempotency-key-in-use",
                title="Request in progress",
                headers={"Retry-After": "1"},
            )
        # The first attempt's process died mid-way: this retry takes the call over.
        first.locked_until = now + LOCK_FOR
        return None

    async def _finish(self, call: Call, response: Response) -> None:
        headers = {
            name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
        }
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(PartnerRequest)
                .where(
                    PartnerRequest.account_id == call.account_id,
                    PartnerRequest.idempotency_key == call.idempotency_key,
                )
                .values(
                    state="done",
                    status_code=response.status_code,
                    response_headers=headers,
                    response_body=bytes(response.body),
                )
            )

    async def _forget(self, call: Call) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(PartnerRequest).where(
                    PartnerRequest.account_id == call.account_id,
                    PartnerRequest.idempotency_key == call.idempotency_key,
                    PartnerRequest.state == "running",
                )
            )

    async def purge_expired(self) -> int:
        """Drop what is older than a day; run now and then by each B2B instance."""
        async with self.sessions() as session, session.begin():
            gone = await session.execute(
                delete(PartnerRequest)
                .where(PartnerRequest.expires_at <= dt.datetime.now(dt.UTC))
                .returning(PartnerRequest.account_id)
            )
            return len(gone.all())


def _replay(first: PartnerRequest) -> Response:
    headers = {str(k): str(v) for k, v in (first.response_headers or {}).items()}
    media_type = headers.pop("content-type", None)
    return Response(
        content=first.response_body or b"",
        status_code=first.status_code or 200,
        headers={**headers, "Idempotent-Replayed": "true"},
        media_type=media_type,
    )
