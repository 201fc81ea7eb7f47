"""The operators' API for B2B partners: accounts, their plans and keys (through the CRM).
A new or rotated key is in the answer once; lists never show a key."""

from collections.abc import Awaitable
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter, status

from fabrika.contracts.accounts import (
    AccountChange,
    AccountIn,
    AccountView,
    IssuedKey,
    KeyIn,
    KeyView,
    Plan,
    Rotation,
)
from fabrika.core.http import ServiceError, problem_from
from fabrika.crm.client import CrmDep

router = APIRouter(prefix="/api/v1/ops", tags=["partners"])
Answer = TypeVar("Answer")


async def _passed_on(call: Awaitable[Answer]) -> Answer:
    """The CRM's answer, or its refusal passed on as ours."""
    try:
        return await call
    except ServiceError as exc:
        raise problem_from(exc) from exc


@router.get("/plans")
async def plans(crm: CrmDep) -> list[Plan]:
    """The plans and their quotas."""
    return await _passed_on(crm.list_plans())


@router.put("/plans/{name}")
async def put_plan(name: str, plan: Plan, crm: CrmDep) -> Plan:
    """Create or change a plan; its accounts get the new quotas within a second."""
    return await _passed_on(crm.put_plan(plan.model_copy(update={"name": name})))


@router.get("/accounts")
async def accounts(crm: CrmDep) -> list[AccountView]:
    return await _passed_on(crm.list_accounts())


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
async def create_account(body: AccountIn, crm: CrmDep) -> AccountView:
    return await _passed_on(crm.create_account(body))


@router.get("/accounts/{account_id}")
async def account(account_id: UUID, crm: CrmDep) -> AccountView:
    return await _passed_on(crm.get_account(account_id))


@router.patch("/accounts/{account_id}")
async def change_account(account_id: UUID, body: AccountChange, crm: CrmDep) -> AccountView:
    """Change an account's name, email, language, plan or price limit."""
    return await _passed_on(crm.change_account(account_id, body))


@router.get("/accounts/{account_id}/keys")
async def keys(account_id: UUID, crm: CrmDep) -> list[KeyView]:
    """The account's keys: prefix and last four characters, scopes, expiry, last use."""
    return await _passed_on(crm.list_keys(account_id))


@router.post("/accounts/{account_id}/keys", status_code=status.HTTP_201_CREATED)
async def issue_key(account_id: UUID, body: KeyIn, crm: CrmDep) -> IssuedKey:
    """A new key, shown in this answer only: it is not stored, only its SHA-256 is."""
    return await _passed_on(crm.issue_key(account_id, body))


@router.post("/accounts/{account_id}/keys/{key_id}/rotate", status_code=status.HTTP_201_CREATED)
async def rotate_key(account_id: UUID, key_id: UUID, body: Rotation, crm: CrmDep) -> IssuedKey:
    """A new key with the old one's name and scopes (shown once); the old one works until
    `old_key_expires_at`, at once when it is left out."""
    return await _passed_on(crm.rotate_key(account_id, key_id, body))


@router.post("/accounts/{account_id}/keys/{key_id}/revoke")
async def revoke_key(account_id: UUID, key_id: UUID, crm: CrmDep) -> KeyView:
    """The key stops working everywhere within two seconds."""
    return await _passed_on(crm.revoke_key(account_id, key_id))
