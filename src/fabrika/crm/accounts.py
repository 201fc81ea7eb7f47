"""B2B accounts, their plans and their API keys. Every function takes the session first and
only flushes; keys are made here, shown once (IssuedKey) and kept only as SHA-256."""

import datetime as dt
import tomllib
import uuid
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.accounts import (
    AccountChange,
    AccountIn,
    AccountView,
    Authenticated,
    IssuedKey,
    KeyIn,
    KeyView,
    Plan,
    Rotation,
    Scope,
)
from fabrika.core.errors import NotFound, Unprocessable
from fabrika.core.keys import hash_api_key, key_hint, new_api_key
from fabrika.crm.models import Account, ApiKey
from fabrika.crm.models import Plan as PlanRow

PLANS_PATH = Path(__file__).with_name("plans.toml")
# A key's last use is written at most this often: authenticating is on every partner
# request's path (behind a short cache), and the time is for people, not for quotas.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class PlansFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plans: dict[str, Plan]


def load_plans(path: Path = PLANS_PATH) -> list[Plan]:
    """The plans file, checked: a plan's name is its key in the file."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    named = {name: {"name": name, **spec} for name, spec in document.get("plans", {}).items()}
    return list(PlansFile.model_validate({"plans": named}).plans.values())


async def seed_plans(session: AsyncSession, plans: list[Plan]) -> None:
    """Add the plans the CRM does not know yet; a known plan keeps what operators set."""
    for plan in plans:
        await session.execute(insert(PlanRow).values(**_plan_row(plan)).on_conflict_do_nothing())


def _plan_row(plan: Plan) -> dict[str, object]:
    return {
        "name": plan.name,
        "description": plan.description,
        "policies": {kind.value: p.model_dump() for kind, p in plan.policies.items()},
        "max_quote_jobs": plan.max_quote_jobs,
        "updated_at": dt.datetime.now(dt.UTC),
    }


def _plan_of(row: PlanRow) -> Plan:
    return Plan.model_validate(
        {
            "name": row.name,
            "description": row.description,
            "policies": row.policies,
            "max_quote_jobs": row.max_quote_jobs,
        }
    )


async def list_plans(session: AsyncSession) -> list[Plan]:
    rows = (await session.execute(select(PlanRow).order_by(PlanRow.name))).scalars()
    return [_plan_of(row) for row in rows]


async def get_plan(session: AsyncSession, name: str) -> Plan:
    row = await session.get(PlanRow, name)
    if row is None:
        known = ", ".join(plan.name for plan in await list_plans(session))
        raise Unprocessable(
            f"There is no plan {name!r}; choose one of: {known}.", type="unknown-plan"
        )
    return _plan_of(row)


async def put_plan(session: AsyncSession, plan: Plan) -> Plan:
    """Create or change a plan; accounts on it get the new quotas within seconds."""
    row = _plan_row(plan)
    await session.execute(
        insert(PlanRow).values(**row).on_conflict_do_update(index_elements=["name"], set_=row)
    )
    return plan


async def _view(session: AsyncSession, account: Account) -> AccountView:
    return AccountView(
        id=account.id,
        name=account.name,
        email=account.email,
        language=account.language,
        price_limit=float(account.price_limit),
        plan=await get_plan(session, account.plan),
        created_at=account.created_at,
    )


async def create_account(session: AsyncSession, account: AccountIn) -> AccountView:
    await get_plan(session, account.plan)  # an unknown plan is refused, naming the known
    row = Account(
        id=uuid.uuid4(),
        name=account.name,
        email=account.email,
        language=account.language,
        plan=account.plan,
        price_limit=account.price_limit,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    await session.flush()
    return await _view(session, row)


async def _account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"There is no account {account_id}.")
    return account


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> AccountView:
    return await _view(session, await _account(session, account_id))


async def list_accounts(session: AsyncSession) -> list[AccountView]:
    plans = {plan.name: plan for plan in await list_plans(session)}
    rows = (await session.execute(select(Account).order_by(Account.created_at))).scalars()
    return [
        AccountView(
            id=row.id,
            name=row.name,
            email=row.email,
            language=row.language,
            price_limit=float(row.price_limit),
            plan=plans[row.plan],
            created_at=row.created_at,
        )
        for row in rows
    ]


async def change_account(
    session: AsyncSession, account_id: uuid.UUID, change: AccountChange
) -> AccountView:
    account = await _account(session, account_id)
    changes = change.model_dump(exclude_none=True)
    if "plan" in changes:
        await get_plan(session, changes["plan"])
    for field, value in changes.items():
        setattr(account, field, value)
    await session.flush()
    return await _view(session, account)


def _key_view(key: ApiKey) -> KeyView:
    return KeyView(
        id=key.id,
        account_id=key.account_id,
        name=key.name,
        prefix=key.prefix,
        last4=key.last4,
        scopes=[Scope(scope) for scope in key.scopes],
        expires_at=key.expires_at,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


async def issue_key(
    session: AsyncSession,
    account_id: uuid.UUID,
    key: KeyIn,
    *,
    api_key: str | None = None,
    rotated_from: uuid.UUID | None = None,
) -> IssuedKey:
    """A new key for the account, returned once with the key itself. `api_key` stores a
    key chosen by an operator (the demo key) instead of a generated one."""
    await _account(session, account_id)
    secret = api_key or new_api_key()
    prefix, last4 = key_hint(secret)
    row = ApiKey(
        id=uuid.uuid4(),
        account_id=account_id,
        name=key.name,
        prefix=prefix,
        last4=last4,
        key_hash=hash_api_key(secret),
        scopes=sorted({scope.value for scope in key.scopes}),
        expires_at=key.expires_at,
        created_at=dt.datetime.now(dt.UTC),
        rotated_from=rotated_from,
    )
    session.add(row)
    await session.flush()
    return IssuedKey(**_key_view(row).model_dump(), api_key=secret)


async def list_keys(session: AsyncSession, account_id: uuid.UUID) -> list[KeyView]:
    await _account(session, account_id)
    rows = await session.execute(
        select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at)
    )
    return [_key_view(row) for row in rows.scalars()]


async def _key(session: AsyncSession, account_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None or key.account_id != account_id:
        raise NotFound(f"Account {account_id} has no key {key_id}.")
    return key


async def rotate_key(
    session: AsyncSession, account_id: uuid.UUID, key_id: uuid.UUID, rotation: Rotation
) -> IssuedKey:
    """A new key with the old one's name and scopes; the old one expires when asked."""
    old = await _key(session, account_id, key_id)
    now = dt.datetime.now(dt.UTC)
    ends = rotation.old_key_expires_at or now
    old.expires_at = min(ends, old.expires_at) if old.expires_at else ends
    replacement = KeyIn(name=old.name, scopes=[Scope(s) for s in old.scopes])
    return await issue_key(session, account_id, replacement, rotated_from=old.id)


async def revoke_key(session: AsyncSession, account_id: uuid.UUID, key_id: uuid.UUID) -> KeyView:
    """The key stops working at once (every B2B instance within its one-second cache)."""
    key = await _key(session, account_id, key_id)
    if key.revoked_at is None:
        key.revoked_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return _key_view(key)


async def authenticate(session: AsyncSession, api_key: str) -> Authenticated | None:
    """The account and key behind `api_key`, if it is known, not revoked and not expired."""
    now = dt.datetime.now(dt.UTC)
    row = (
        await session.execute(
            select(ApiKey, Account)
            .join(Account, ApiKey.account_id == Account.id)
            .where(ApiKey.key_hash == hash_api_key(api_key))
        )
    ).one_or_none()
    if row is None:
        return None
    key, account = row
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        key.last_used_at = now
    return Authenticated(account=await _view(session, account), key=_key_view(key))


async def seed_demo_account(
    session: AsyncSession, *, name: str, email: str, api_key: str, price_limit: Decimal
) -> uuid.UUID:
    """The demo account holding `api_key` (with every scope), made once; repeatable."""
    known = await session.scalar(
        select(ApiKey.account_id).where(ApiKey.key_hash == hash_api_key(api_key))
    )
    if known is not None:
        return known
    account = await create_account(
        session, AccountIn(name=name, email=email, price_limit=price_limit)
    )
    await issue_key(session, account.id, KeyIn(name="demo"), api_key=api_key)
    return account.id
