"""The shop's pages: the quote page (`/`), the catalog, an order's page, and the API docs
with Swagger UI served from here.

Rendered on the server (Jinja2) in the request's language; the few scripts the pages load
(built from web/) talk to the same public API a partner's script would, and ask for an
order's panel again when the order changes.
"""

import gzip
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse
from fastapi.templating import Jinja2Templates

from fabrika.core.errors import NotFound
from fabrika.core.http import ServiceError
from fabrika.orders.schemas import OrderView
from fabrika.shop import order_view, service
from fabrika.shop.api import CrmDep, SagasDep
from fabrika.shop.assets import IMMUTABLE, accepted_encodings, shop_assets
from fabrika.shop.catalog import catalog_view, current_catalog
from fabrika.shop.locale import LANGUAGES, Formats, choose_language, messages_for

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANGUAGE_COOKIE = "fabrika_lang"
COMPRESS_FROM_BYTES = 1024
# Pages load only what Fabrika serves, and run no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
DOCS_PATHS = {"/docs", "/redoc"}

router = APIRouter(include_in_schema=False)


def page_language(request: Request) -> str:
    return choose_language(
        query=request.query_params.get("lang"),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page in the request's language; a language chosen with `?lang=` is remembered."""
    language = page_language(request)
    messages = messages_for(language)
    context = {
        "lang": language,
        "t": messages,
        "fmt": Formats(language),
        "assets": shop_assets(),
        "languages": LANGUAGES,
        "path": request.url.path,
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    _compress(response, request.headers.get("accept-encoding", ""))
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Encoding, Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    if request.query_params.get("lang") == language:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


def _compress(response: Response, accept_encoding: str) -> None:
    """Pages are gzipped as they are sent (the API's answers are not: they are small and
    their CPU is counted); a page's messages make most of its bytes and compress well."""
    if len(response.body) >= COMPRESS_FROM_BYTES and "gzip" in accepted_encodings(accept_encoding):
        response.body = gzip.compress(response.body, compresslevel=6)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.body))


async def _catalog(request: Request) -> dict[str, Any]:
    document = await current_catalog(request.app.state.http)
    return catalog_view(document, messages_for(page_language(request)))


def _unavailable(request: Request) -> Response:
    return render(request, "error.html", 503, error="unavailable")


@router.get("/")
async def quote_page(request: Request) -> Response:
    """Upload parts, see them, choose how they are made, get the price, order."""
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    max_bytes = request.app.state.settings.max_model_bytes
    return render(request, "quote.html", catalog=catalog, max_model_bytes=max_bytes)


@router.get("/catalog")
async def catalog_page(request: Request) -> Response:
    """Materials, processes and finishes, with their properties and prices."""
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    return render(request, "catalog.html", catalog=catalog)


def _panel(order: OrderView, request: Request, catalog: dict[str, Any]) -> dict[str, Any]:
    settings = request.app.state.settings
    return order_view.order_panel(
        order,
        catalog,
        messages_for(page_language(request)),
        confirm_timeout_s=settings.confirm_timeout_s,
        reserve_s=settings.compensation_reserve_s,
    )


async def _order(order_id: str, crm: CrmDep, sagas: SagasDep) -> OrderView | None:
    try:
        return await service.find_order(UUID(order_id), crm=crm, sagas=sagas)
    except (ValueError, NotFound):
        return None


@router.get("/orders/{order_id}")
async def order_page(order_id: str, request: Request, crm: CrmDep, sagas: SagasDep) -> Response:
    """An order: its status, live; its price to confirm; its history."""
    order = await _order(order_id, crm, sagas)
    if order is None:
        return render(request, "error.html", 404, error="no_order")
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    return render(request, "order.html", **_panel(order, request, catalog))


@router.get("/orders/{order_id}/panel")
async def order_panel(order_id: str, request: Request, crm: CrmDep, sagas: SagasDep) -> Response:
    """The order's panel alone, for the page to replace when the order changes."""
    order = await _order(order_id, crm, sagas)
    if order is None:
        return render(request, "error.html", 404, error="no_order")
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    return render(request, "_order_panel.html", **_panel(order, request, catalog))


@router.get("/assets/{name}")
async def asset(name: str, request: Request) -> Response:
    """A built file by its hashed name, precompressed when the client accepts it."""
    found = shop_assets().find(name, request.headers.get("accept-encoding", ""))
    if found is None:
        raise NotFound(f"There is no asset {name}.")
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if found.encoding:
        headers["Content-Encoding"] = found.encoding
    return FileResponse(found.path, media_type=found.media_type, headers=headers)


def serve_docs_locally(app: FastAPI) -> None:
    """Replace FastAPI's /docs and /redoc, which load their scripts from a CDN, with a
    /docs whose Swagger UI files (npm swagger-ui-dist) the shop serves itself."""
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) not in DOCS_PATHS
    ]

    async def docs() -> Response:
        assets = shop_assets()
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=assets.url("swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=assets.url("swagger-ui/swagger-ui.css"),
            swagger_favicon_url="data:,",
        )

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
