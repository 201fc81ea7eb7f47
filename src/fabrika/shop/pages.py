"""The shop's pages: the quote page (`/`), the catalog, an order's page, and the API docs
with Swagger UI served from here.

Rendered on the server (Jinja2) in the request's language; the few scripts the pages load
(built from web/) talk to the same public API a partner's script would, and ask for an
order's panel again when the order changes.
"""

import gzip
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.templating import Jinja2Templates

from fabrika.contracts.catalog import PublishedCatalog
from fabrika.contracts.orders import OrderView
from fabrika.core.assets import accepted_encodings, web_assets
from fabrika.core.errors import NotFound
from fabrika.core.http import ServiceError
from fabrika.crm.client import CrmDep
from fabrika.mes.client import MesClient
from fabrika.orders.client import SagasDep
from fabrika.shop import order_view, service
from fabrika.shop.catalog import CatalogView, catalog_view, current_catalog
from fabrika.shop.locale import LANGUAGES, Formats, choose_language, messages_for

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANGUAGE_COOKIE = "fabrika_lang"
COMPRESS_FROM_BYTES = 1024
# Pages load only what Fabrika serves, and run no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

router = APIRouter(include_in_schema=False)


def page_language(request: Request) -> str:
    return choose_language(
        query=request.query_params.get("lang"),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def render(
    request: Request, template: str, *, status_code: int = 200, **context: object
) -> Response:
    """A page in the request's language; a language chosen with `?lang=` is remembered."""
    return render_page(request, template, context, status_code=status_code)


def render_page(
    request: Request, template: str, values: Mapping[str, object], *, status_code: int = 200
) -> Response:
    """`render`, with the template's values given as one mapping."""
    language = page_language(request)
    messages = messages_for(language)
    context = {
        "lang": language,
        "t": messages,
        "fmt": Formats(language),
        "assets": web_assets(),
        "languages": LANGUAGES,
        "path": request.url.path,
        **values,
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


async def _catalog(request: Request) -> PublishedCatalog:
    return await current_catalog(MesClient(request.app.state.http))


async def _catalog_view(request: Request) -> CatalogView:
    return catalog_view(await _catalog(request), messages_for(page_language(request)))


def _unavailable(request: Request) -> Response:
    return render(request, "error.html", status_code=503, error="unavailable")


@router.get("/")
async def quote_page(request: Request) -> Response:
    """Upload parts, see them, choose how they are made, get the price, order."""
    try:
        catalog = await _catalog_view(request)
    except ServiceError:
        return _unavailable(request)
    max_bytes = request.app.state.settings.max_model_bytes
    return render(request, "quote.html", catalog=catalog, max_model_bytes=max_bytes)


@router.get("/catalog")
async def catalog_page(request: Request) -> Response:
    """Materials, processes and finishes, with their properties and prices."""
    try:
        catalog = await _catalog_view(request)
    except ServiceError:
        return _unavailable(request)
    return render(request, "catalog.html", catalog=catalog)


def _panel(order: OrderView, request: Request, catalog: PublishedCatalog) -> dict[str, object]:
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
        return render(request, "error.html", status_code=404, error="no_order")
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    return render_page(request, "order.html", _panel(order, request, catalog))


@router.get("/orders/{order_id}/panel")
async def order_panel(order_id: str, request: Request, crm: CrmDep, sagas: SagasDep) -> Response:
    """The order's panel alone, for the page to replace when the order changes."""
    order = await _order(order_id, crm, sagas)
    if order is None:
        return render(request, "error.html", status_code=404, error="no_order")
    try:
        catalog = await _catalog(request)
    except ServiceError:
        return _unavailable(request)
    return render_page(request, "_order_panel.html", _panel(order, request, catalog))
