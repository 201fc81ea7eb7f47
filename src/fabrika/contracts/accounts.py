"""B2B accounts as the CRM keeps them and the B2B entry enforces them: plans with their
quota policies, API keys with their scopes, and what authenticating a key answers."""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from fabrika.contracts.orders import Language
from fabrika.core.addresses import EmailAddress


class Scope(StrEnum):
    """What a key may do; each partner endpoint needs one."""

    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    QUOTES_WRITE = "quotes:write"
    WEBHOOKS_MANAGE = "webhooks:manage"


class PolicyKind(StrEnum):
    """The kinds of call a plan limits separately: reads cannot starve writes."""

    WRITES = "writes"
    READS = "reads"
    QUOTES = "quotes"


class QuotaPolicy(BaseModel):
    """`rate_per_s` calls a second sustained, up to `burst` at once (GCRA)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_per_s: float = Field(gt=0, le=100_000)
    burst: int = Field(ge=1, le=1_000_000)

    @property
    def window_s(self) -> float:
        """The time a full burst takes to refill: the window of RateLimit-Policy."""
        return self.burst / self.rate_per_s


class Plan(BaseModel):
    """A named set of quotas; accounts on one plan share its numbers (data, not code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")
    description: str = Field("", max_length=200)
    policies: dict[PolicyKind, QuotaPolicy]
    max_quote_jobs: int = Field(ge=1, le=1000, description="Quote jobs running at once")


class AccountIn(BaseModel):
    """A new B2B account."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: EmailAddress
    language: Language = "en"
    plan: str = Field("standard", max_length=40)
    price_limit: Decimal = Field(Decimal("0"), ge=0, le=Decimal("10000000"))


class AccountChange(BaseModel):
    """What an operator may change of an account; what is left out stays."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailAddress | None = None
    language: Language | None = None
    plan: str | None = Field(None, max_length=40)
    price_limit: Decimal | None = Field(None, ge=0, le=Decimal("10000000"))


class AccountView(BaseModel):
    id: UUID
    name: str
    email: str
    language: Language
    price_limit: float
    plan: Plan
    created_at: dt.datetime | None = None


class KeyIn(BaseModel):
    """A new key for an account: a name people recognise, its scopes, an optional expiry."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(default_factory=lambda: list(Scope), min_length=1)
    expires_at: dt.datetime | None = None


class Rotation(BaseModel):
    """Rotating a key: a new key with the same name and scopes; the old one keeps working
    until `old_key_expires_at` (at once when left out)."""

    model_config = ConfigDict(extra="forbid")

    old_key_expires_at: dt.datetime | None = None


class KeyView(BaseModel):
    """A key as lists show it: never the key, only its prefix and last four characters."""

    id: UUID
    account_id: UUID
    name: str
    prefix: str
    last4: str
    scopes: list[Scope]
    expires_at: dt.datetime | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class IssuedKey(KeyView):
    """A key just made: the only answer that ever carries the key itself."""

    api_key: str


class KeyCheck(BaseModel):
    api_key: str = Field(min_length=1, max_length=200)


class Authenticated(BaseModel):
    """A valid key: its account (with the plan's quotas) and the key's own scopes."""

    account: AccountView
    key: KeyView
