"""B2B accounts, plans and keys in the CRM, against the real Postgres."""

import datetime as dt
import uuid

import psycopg
import pytest

from fabrika.core.keys import PREFIX, hash_api_key, well_formed
from fabrika.crm.app import build
from fabrika.platform.seed import demo_b2b_key

pytestmark = pytest.mark.usefixtures("database")
ALL_SCOPES = ["orders:read", "orders:write", "quotes:write", "webhooks:manage"]


@pytest.fixture
async def crm(serve):
    async with serve(build()) as client:
        yield client


async def new_account(crm, plan: str = "standard", price_limit: float = 100) -> dict:
    body = {
        "name": f"Partner {uuid.uuid4().hex[:6]}",
        "email": f"buyer-{uuid.uuid4().hex[:6]}@partner.example",
        "plan": plan,
        "price_limit": price_limit,
    }
    response = await crm.post("/crm/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def new_key(crm, account_id: str, **key) -> dict:
    body = {"name": "ERP", **key}
    response = await crm.post(f"/crm/v1/accounts/{account_id}/keys", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def authenticate(crm, api_key: str):
    return await crm.post("/crm/v1/keys/authenticate", json={"api_key": api_key})


async def test_the_demo_key_authenticates_with_every_scope_on_the_standard_plan(
    crm, settings
) -> None:
    answer = await authenticate(crm, demo_b2b_key(settings))

    assert answer.status_code == 200
    body = answer.json()
    assert sorted(body["key"]["scopes"]) == ALL_SCOPES
    plan = body["account"]["plan"]
    assert plan["name"] == "standard"
    assert plan["policies"]["writes"] == {"rate_per_s": 10.0, "burst": 20}
    assert plan["policies"]["reads"] == {"rate_per_s": 50.0, "burst": 100}


async def test_an_unknown_key_is_refused(crm) -> None:
    assert (await authenticate(crm, "fab_wrong-key-123")).status_code == 401


async def test_a_new_key_is_shown_once_and_stored_only_as_its_hash(crm, settings) -> None:
    account = await new_account(crm)
    issued = await new_key(crm, account["id"], scopes=["orders:read"])

    api_key = issued["api_key"]
    assert api_key.startswith(PREFIX) and well_formed(api_key) and len(api_key) >= 9 + 32
    listed = (await crm.get(f"/crm/v1/accounts/{account['id']}/keys")).json()
    assert [(k["prefix"], k["last4"]) for k in listed] == [(PREFIX, api_key[-4:])]
    assert api_key not in str(listed) and "api_key" not in listed[0]
    with psycopg.connect(settings.database_url) as db:
        stored = db.execute(
            "SELECT key_hash FROM crm.api_keys WHERE id = %s", (issued["id"],)
        ).fetchone()[0]
    assert stored == hash_api_key(api_key)


async def test_a_key_carries_its_scopes_and_records_its_last_use(crm) -> None:
    account = await new_account(crm)
    issued = await new_key(crm, account["id"], scopes=["orders:read", "quotes:write"])

    answer = (await authenticate(crm, issued["api_key"])).json()

    assert sorted(answer["key"]["scopes"]) == ["orders:read", "quotes:write"]
    assert answer["account"]["id"] == account["id"]
    listed = (await crm.get(f"/crm/v1/accounts/{account['id']}/keys")).json()
    assert listed[0]["last_used_at"] is not None


async def test_a_key_past_its_expiry_is_refused(crm) -> None:
    account = await new_account(crm)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    issued = await new_key(crm, account["id"], expires_at=past)

    assert (await authenticate(crm, issued["api_key"])).status_code == 401


async def test_a_revoked_key_is_refused(crm) -> None:
    account = await new_account(crm)
    issued = await new_key(crm, account["id"])
    assert (await authenticate(crm, issued["api_key"])).status_code == 200

    revoked = await crm.post(f"/crm/v1/accounts/{account['id']}/keys/{issued['id']}/revoke")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await authenticate(crm, issued["api_key"])).status_code == 401


async def test_a_rotated_key_works_until_the_time_chosen_and_the_new_one_at_once(crm) -> None:
    account = await new_account(crm)
    old = await new_key(crm, account["id"], scopes=["orders:read"])
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()

    rotated = await crm.post(
        f"/crm/v1/accounts/{account['id']}/keys/{old['id']}/rotate",
        json={"old_key_expires_at": later},
    )

    assert rotated.status_code == 201
    new = rotated.json()
    assert new["api_key"] != old["api_key"] and new["scopes"] == ["orders:read"]
    assert (await authenticate(crm, new["api_key"])).status_code == 200
    assert (await authenticate(crm, old["api_key"])).status_code == 200
    keys = {k["id"]: k for k in (await crm.get(f"/crm/v1/accounts/{account['id']}/keys")).json()}
    assert keys[old["id"]]["expires_at"].startswith(later[:19])


async def test_a_rotation_without_a_time_ends_the_old_key_at_once(crm) -> None:
    account = await new_account(crm)
    old = await new_key(crm, account["id"])

    await crm.post(f"/crm/v1/accounts/{account['id']}/keys/{old['id']}/rotate", json={})

    assert (await authenticate(crm, old["api_key"])).status_code == 401


async def test_another_account_s_key_cannot_be_rotated_or_revoked(crm) -> None:
    mine, theirs = await new_account(crm), await new_account(crm)
    their_key = await new_key(crm, theirs["id"])

    revoke = await crm.post(f"/crm/v1/accounts/{mine['id']}/keys/{their_key['id']}/revoke")

    assert revoke.status_code == 404
    assert (await authenticate(crm, their_key["api_key"])).status_code == 200


async def test_an_account_on_an_unknown_plan_is_refused_naming_the_plans(crm) -> None:
    body = {"name": "X", "email": "x@partner.example", "plan": "platinum"}

    response = await crm.post("/crm/v1/accounts", json=body)

    assert response.status_code == 422
    assert "platinum" in response.json()["detail"] and "standard" in response.json()["detail"]


async def test_a_changed_plan_gives_its_accounts_the_new_quotas(crm) -> None:
    name = f"trial-{uuid.uuid4().hex[:6]}"
    plan = {
        "name": name,
        "policies": {"writes": {"rate_per_s": 1, "burst": 2}},
        "max_quote_jobs": 1,
    }
    assert (await crm.put(f"/crm/v1/plans/{name}", json=plan)).status_code == 200
    account = await new_account(crm, plan=name)
    issued = await new_key(crm, account["id"])
    plan["policies"]["writes"] = {"rate_per_s": 5, "burst": 9}

    await crm.put(f"/crm/v1/plans/{name}", json=plan)

    answer = (await authenticate(crm, issued["api_key"])).json()
    assert answer["account"]["plan"]["policies"]["writes"] == {"rate_per_s": 5.0, "burst": 9}


async def test_an_account_s_plan_and_limit_can_be_changed(crm) -> None:
    account = await new_account(crm)

    changed = await crm.patch(
        f"/crm/v1/accounts/{account['id']}", json={"plan": "enterprise", "price_limit": 900}
    )

    assert changed.status_code == 200
    assert changed.json()["plan"]["name"] == "enterprise" and changed.json()["price_limit"] == 900
