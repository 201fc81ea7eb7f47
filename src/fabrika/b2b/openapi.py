"""The partner API's own OpenAPI 3.1 document (GET /v1/openapi.json): what a partner's ERP
team writes a client from. Every error, header and rule is in it."""

from typing import Any

from fastapi import FastAPI

from fabrika.core.app import ApiDocs
from fabrika.core.openapi import Operation, document_problems

DESCRIPTION = """
Fabrika's API for business partners: upload models, ask for quotes, place orders and
follow them. Every call needs an API key, sent as `Authorization: Bearer fab_live_…`;
each key has scopes (`orders:read`, `orders:write`, `quotes:write`, `webhooks:manage`).

**Quotas.** Your plan limits writes, reads and quotes separately. Every answer says where
you stand, in the IETF RateLimit fields: `RateLimit-Policy: "writes";q=20;w=2` (20 calls a
window of 2 s) and `RateLimit: "writes";r=17;t=1` (17 left; all back in 1 s). Over quota,
the answer is 429 with `Retry-After`.

**Idempotency.** Send `Idempotency-Key` (a UUID of yours; required on `POST /v1/orders`)
with every call that changes something. A retry with the same key and body answers what
the first call answered, with `Idempotent-Replayed: true`, for 24 hours; the same key with
another body is 422; a retry while the first call is still running is 409 with
`Retry-After`. A retry can never place a second order.

**Errors** are `application/problem+json` (RFC 9457): key on `type`; `detail` says what
to change.

**Asynchronous work.** A quote is computed in the background: `POST /v1/quotes` answers
202 with `Location`; poll it after `Retry-After`. An order is accepted into production in
the background too: follow its `status_url`.
"""

DOCS = ApiDocs(
    title="Fabrika partner API",
    description=DESCRIPTION,
    version="1.0",
    openapi_url="/v1/openapi.json",
    tags=[
        {"name": "orders", "description": "Place, list, read and cancel your orders."},
        {"name": "quotes", "description": "Prices computed in the background."},
        {"name": "models", "description": "Your uploaded STL models."},
    ],
)

QUOTA_HEADERS = {
    "RateLimit-Policy": {
        "description": 'The quota this call drew on, e.g. `"writes";q=20;w=2`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'Where you stand on it, e.g. `"writes";r=17;t=1`.',
        "schema": {"type": "string"},
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}


def _errors_of(path: str, method: str, operation: Operation) -> dict[int, Any]:
    if not path.startswith("/v1/") or path == "/v1/openapi.json":
        return {}
    errors: dict[int, Any] = {
        400: None,
        401: None,
        403: None,
        422: None,
        429: RETRY_AFTER,
        503: RETRY_AFTER,
    }
    if "{" in path or "model_id" in str(operation.get("requestBody", "")):
        errors[404] = None
    if method == "post":
        errors[409] = RETRY_AFTER
        errors[404] = None
    if path == "/v1/models" and method == "post":
        errors[413] = None
        errors[415] = None
    return errors


def document_partner_api(app: FastAPI) -> None:
    document_problems(app, _errors_of, on_every_response=QUOTA_HEADERS)
