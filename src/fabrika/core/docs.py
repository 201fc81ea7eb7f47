"""An API's docs page, Swagger UI, with every file served by the service itself (npm's
swagger-ui-dist, built with the pages' assets): nothing is loaded from a CDN."""

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse

from fabrika.core.assets import IMMUTABLE, web_assets
from fabrika.core.errors import NotFound


def assets_router(prefix: str) -> APIRouter:
    """GET {prefix}/{name}: a built file by its hashed name, precompressed when the client
    takes it, cached for a year (its name changes with its content)."""
    router = APIRouter(include_in_schema=False)

    @router.get(prefix + "/{name}")
    async def asset(name: str, request: Request) -> Response:
        found = web_assets().find(name, request.headers.get("accept-encoding", ""))
        if found is None:
            raise NotFound(f"There is no asset {name}.")
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        if found.encoding:
            headers["Content-Encoding"] = found.encoding
        return FileResponse(found.path, media_type=found.media_type, headers=headers)

    return router


def serve_docs(app: FastAPI, *, path: str = "/docs", assets_prefix: str = "/docs/assets") -> None:
    """Swagger UI for `app`'s OpenAPI document at `path`, its files under `assets_prefix`
    (pass the prefix of an assets router the app already has, or get one here)."""

    async def docs() -> Response:
        assets = web_assets()
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=assets.url("swagger-ui/swagger-ui-bundle.js", prefix=assets_prefix),
            swagger_css_url=assets.url("swagger-ui/swagger-ui.css", prefix=assets_prefix),
            swagger_favicon_url="data:,",
        )

    app.add_api_route(path, docs, methods=["GET"], include_in_schema=False)
    if not any(getattr(route, "path", "") == assets_prefix + "/{name}" for route in app.routes):
        app.include_router(assets_router(assets_prefix))
