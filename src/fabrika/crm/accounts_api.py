"""The CRM's internal API for B2B accounts, their plans and keys (under /crm/v1/)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, status

from fabrika.contracts.accounts import (
    AccountChange,
    AccountIn,
    AccountView,
    Authenticated,
    IssuedKey,
    KeyCheck,
    KeyIn,
    KeyView,
    Plan,
    Rotation,
)
from fabrika.core.db import SessionDep
from fabrika.core.errors import Problem
from fabrika.crm import accounts

router = APIRouter(prefix="/crm/v1")


@router.get("/plans")
async def list_plans(session: SessionDep) -> list[Plan]:
    return await accounts.list_plans(session)


@router.put("/plans/{name}")
async def put_plan(name: str, plan: Plan, session: SessionDep) -> Plan:
    if plan.name != name:
        raise Problem(f"The plan's name {plan.name!r} is not {name!r}, its address.")
    return await accounts.put_plan(session, plan)


@router.get("/accounts")
async def list_accounts(session: SessionDep) -> list[AccountView]:
    return await accounts.list_accounts(session)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
async def create_account(body: AccountIn, session: SessionDep) -> AccountView:
    return await accounts.create_account(session, body)


@router.get("/accounts/{account_id}")
async def get_account(account_id: UUID, session: SessionDep) -> AccountView:
    return await accounts.get_account(session, account_id)


@router.patch("/accounts/{account_id}")
async def change_account(account_id: UUID, body: AccountChange, session: SessionDep) -> AccountView:
    return await accounts.change_account(session, account_id, body)


@router.get("/accounts/{account_id}/keys")
async def list_keys(account_id: UUID, session: SessionDep) -> list[KeyView]:
    return await accounts.list_keys(session, account_id)


@router.post("/accounts/{account_id}/keys", status_code=status.HTTP_201_CREATED)
async def issue_key(account_id: UUID, body: KeyIn, session: SessionDep) -> IssuedKey:
    return await accounts.issue_key(session, account_id, body)


@router.post("/accounts/{account_id}/keys/{key_id}/rotate", status_code=status.HTTP_201_CREATED)
async def rotate_key(
    account_id: UUID,
    key_id: UUID,
    session: SessionDep,
    body: Annotated[Rotation | None, Body()] = None,
) -> IssuedKey:
    return await accounts.rotate_key(session, account_id, key_id, body or Rotation())


@router.post("/accounts/{account_id}/keys/{key_id}/revoke")
async def revoke_key(account_id: UUID, key_id: UUID, session: SessionDep) -> KeyView:
    return await accounts.revoke_key(session, account_id, key_id)


@router.post("/keys/authenticate")
async def authenticate(body: KeyCheck, session: SessionDep) -> Authenticated:
    found = await accounts.authenticate(session, body.api_key)
    if found is None:
        raise Problem(
            "The API key is not valid.", status=401, type="unauthorized", title="Unauthorized"
        )
    return found
