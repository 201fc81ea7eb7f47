"""The shop service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.docs import assets_router, serve_docs
from fabrika.core.openapi import Operation, document_problems
from fabrika.orders.client import close_saga_client, open_saga_client
from fabrika.shop import pages
from fabrika.shop.api import router


def build() -> FastAPI:
    app = create_app(
        "shop",
        routers=[router, pages.router],
        uses_db=False,
        on_startup=open_saga_client,
        on_shutdown=close_saga_client,
    )
    app.include_router(assets_router("/assets"))
    serve_docs(app, assets_prefix="/assets")
    document_problems(app, _errors_of)
    return app


def _errors_of(path: str, method: str, operation: Operation) -> dict[int, None]:
    """The problems each order operation may answer (RFC 9457 problem+json)."""
    if not path.startswith("/api/v1/"):
        return {}
    errors: dict[int, None] = {422: None, 503: None}
    if "{order_id}" in path:
        errors[404] = None
    if path.endswith(("/confirm", "/cancel")):
        errors[409] = None
    return errors
