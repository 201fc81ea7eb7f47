"""B2B partners for end-to-end tests, made the way operators make them: through the
operators' API."""

import uuid
from dataclasses import dataclass

import httpx

from fabrika.platform.launcher import RunningPlatform


@dataclass(frozen=True)
class Partner:
    account_id: str
    key_id: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def writing(self, idempotency_key: str | None = None) -> dict[str, str]:
        """Headers for an unsafe call: the key and an Idempotency-Key (fresh unless given)."""
        return {**self.auth, "Idempotency-Key": idempotency_key or str(uuid.uuid4())}


def new_partner(
    http: httpx.Client,
    platform: RunningPlatform,
    *,
    scopes: list[str] | None = None,
    plan: str = "standard",
    price_limit: float = 5000,
) -> Partner:
    body = {
        "name": f"Partner {uuid.uuid4().hex[:6]}",
        "email": f"buyer-{uuid.uuid4().hex[:6]}@partner.example",
        "plan": plan,
        "price_limit": price_limit,
    }
    account = http.post(f"{platform.ops}/api/v1/ops/accounts", json=body)
    assert account.status_code == 201, account.text
    account_id = account.json()["id"]
    key_body = {"name": "tests", **({"scopes": scopes} if scopes else {})}
    issued = http.post(f"{platform.ops}/api/v1/ops/accounts/{account_id}/keys", json=key_body)
    assert issued.status_code == 201, issued.text
    return Partner(account_id, issued.json()["id"], issued.json()["api_key"])


def place(http: httpx.Client, platform: RunningPlatform, partner: Partner, order: dict, **kw):
    return http.post(f"{platform.b2b}/v1/orders", json=order, headers=partner.writing(**kw))


def cube_order(size_mm: float = 10, *, quantity: int = 1, **extra) -> dict:
    """An FDM order priced at once (dimensions only), well within a partner's limit."""
    item = {"material": "pla", "process": "fdm", "quantity": quantity}
    return {"items": [{**item, "dimensions_mm": [size_mm] * 3}], **extra}


def b2b_instances(platform: RunningPlatform) -> list[str]:
    """Each B2B instance's own address, past the gateway."""
    from fabrika.platform.topology import port_of

    base = int(platform.env["FABRIKA_SERVICE_PORT_BASE"])
    pids = sorted((platform.run_dir / "pids").glob("b2b-*.pid"))
    return [f"http://127.0.0.1:{port_of('b2b', int(p.stem.split('-')[1]), base)}" for p in pids]
