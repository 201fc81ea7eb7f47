"""`fabrika accounts …`: B2B accounts, plans and keys from the command line, straight on
the CRM's database (FABRIKA_DATABASE_URL), for an operator at the machine. A new key is
printed once; lists show only its prefix and last four characters."""

import argparse
import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.accounts import AccountIn, KeyIn, Rotation, Scope
from fabrika.core.db import create_engine, create_sessions
from fabrika.core.settings import get_settings
from fabrika.crm import accounts

Action = Callable[[AsyncSession, argparse.Namespace], Awaitable[object]]


async def _in_session(action: Action, args: argparse.Namespace) -> object:
    engine = create_engine(get_settings().sqlalchemy_url, pool_size=1)
    try:
        async with create_sessions(engine)() as session, session.begin():
            return await action(session, args)
    finally:
        await engine.dispose()


def _print(result: object) -> None:
    if isinstance(result, list):
        print(json.dumps([_plain(item) for item in result], indent=2))
    else:
        print(json.dumps(_plain(result), indent=2))


def _plain(item: object) -> object:
    return item.model_dump(mode="json") if isinstance(item, BaseModel) else item


async def _list(session: AsyncSession, _: argparse.Namespace) -> object:
    return await accounts.list_accounts(session)


async def _plans(session: AsyncSession, _: argparse.Namespace) -> object:
    return await accounts.list_plans(session)


async def _create(session: AsyncSession, args: argparse.Namespace) -> object:
    account = AccountIn(
        name=args.name,
        email=args.email,
        language=args.language,
        plan=args.plan,
        price_limit=Decimal(args.price_limit),
    )
    return await accounts.create_account(session, account)


async def _keys(session: AsyncSession, args: argparse.Namespace) -> object:
    return await accounts.list_keys(session, uuid.UUID(args.account))


async def _new_key(session: AsyncSession, args: argparse.Namespace) -> object:
    key = KeyIn(
        name=args.name,
        scopes=[Scope(scope) for scope in args.scopes.split(",")],
        expires_at=dt.datetime.fromisoformat(args.expires) if args.expires else None,
    )
    return await accounts.issue_key(session, uuid.UUID(args.account), key)


async def _rotate(session: AsyncSession, args: argparse.Namespace) -> object:
    ends = dt.datetime.fromisoformat(args.old_key_expires) if args.old_key_expires else None
    rotation = Rotation(old_key_expires_at=ends)
    return await accounts.rotate_key(
        session, uuid.UUID(args.account), uuid.UUID(args.key), rotation
    )


async def _revoke(session: AsyncSession, args: argparse.Namespace) -> object:
    return await accounts.revoke_key(session, uuid.UUID(args.account), uuid.UUID(args.key))


def run(args: argparse.Namespace) -> None:
    _print(asyncio.run(_in_session(args.action, args)))


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `accounts` command and its subcommands, for the `fabrika` CLI."""
    group = commands.add_parser("accounts", help="B2B accounts, plans and API keys")
    sub = group.add_subparsers(dest="accounts_command", required=True)
    sub.add_parser("list", help="every account, with its plan").set_defaults(action=_list)
    sub.add_parser("plans", help="the plans and their quotas").set_defaults(action=_plans)
    create = sub.add_parser("create", help="a new account")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--language", default="en", choices=["en", "ru"])
    create.add_argument("--plan", default="standard")
    create.add_argument("--price-limit", default="0", help="confirmed by itself up to this")
    create.set_defaults(action=_create)
    keys = sub.add_parser("keys", help="an account's keys (prefix and last 4 only)")
    keys.add_argument("account")
    keys.set_defaults(action=_keys)
    new_key = sub.add_parser("key-create", help="a new key, printed once")
    new_key.add_argument("account")
    new_key.add_argument("--name", required=True)
    new_key.add_argument("--scopes", default=",".join(scope.value for scope in Scope))
    new_key.add_argument("--expires", help="ISO time, e.g. 2027-01-31T00:00:00+00:00")
    new_key.set_defaults(action=_new_key)
    rotate = sub.add_parser("key-rotate", help="a new key; the old one works until asked")
    rotate.add_argument("account")
    rotate.add_argument("key")
    rotate.add_argument("--old-key-expires", help="ISO time; at once when left out")
    rotate.set_defaults(action=_rotate)
    revoke = sub.add_parser("key-revoke", help="the key stops working at once")
    revoke.add_argument("account")
    revoke.add_argument("key")
    revoke.set_defaults(action=_revoke)
    group.set_defaults(run=run)
