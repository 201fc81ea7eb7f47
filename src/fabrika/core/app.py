"""The app factory every HTTP service uses: lifespan resources, health, metrics, errors."""

import gc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fabrika.core.cache import create_redis
from fabrika.core.db import create_engine, create_sessions
from fabrika.core.errors import PROBLEM_JSON, install_problem_handlers
from fabrika.core.http import ServiceClient
from fabrika.core.logs import configure_logging
from fabrika.core.settings import Settings, get_settings
from fabrika.core.telemetry import configure_tracing, instrument_app, server_telemetry

log = structlog.get_logger()
Hook = Callable[[FastAPI], Awaitable[None]]


class RequestIdMiddleware:
    """Binds the gateway's X-Request-ID to every log line and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1") or str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


@dataclass(frozen=True)
class ApiDocs:
    """How a service presents its API in its OpenAPI document."""

    title: str
    description: str = ""
    version: str = "1"
    openapi_url: str = "/openapi.json"
    tags: list[dict[str, str]] | None = None


class ASGIMiddleware(Protocol):
    def __init__(self, app: ASGIApp) -> None: ...

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


def create_app(
    service: str,
    *,
    routers: Sequence[APIRouter],
    uses_db: bool = True,
    uses_redis: bool = False,
    db_pool_size: int = 6,
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    settings: Settings | None = None,
    docs: ApiDocs | None = None,
    middleware: Sequence[type[ASGIMiddleware]] = (),
) -> FastAPI:
    """A FastAPI app with Fabrika's habits; resources are built in lifespan, not at import.
    `docs` says where its OpenAPI document is and what it tells readers (by default, an
    internal service's, at /openapi.json)."""
    settings = settings or get_settings()
    configure_logging(service, settings.log_level)
    configure_tracing(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.draining = False
        app.state.http = ServiceClient(settings.internal_url, timeout_s=settings.http_timeout_s)
        if uses_db:
            app.state.engine = create_engine(settings.sqlalchemy_url, pool_size=db_pool_size)
            app.state.sessions = create_sessions(app.state.engine)
            # Readiness has a connection of its own: behind a pool busy with requests the
            # gateway's check timed out and took a working instance out under load.
            app.state.readiness_engine = create_engine(settings.sqlalchemy_url, pool_size=1)
        if uses_redis:
            app.state.redis = create_redis(settings.redis_url)
        if on_startup:
            await on_startup(app)
        # What start-up built lives as long as the process: out of the collector's way, it
        # is not traversed again at every full collection (some 6% of a request's CPU).
        gc.freeze()
        log.info("service started")
        try:
            yield
        finally:
            app.state.draining = True
            if on_shutdown:
                await on_shutdown(app)
            await app.state.http.close()
            if uses_db:
                await app.state.engine.dispose()
                await app.state.readiness_engine.dispose()
            if uses_redis:
                await app.state.redis.aclose()
            log.info("service stopped")

    docs = docs or ApiDocs(title=f"Fabrika {service}")
    app = FastAPI(
        title=docs.title,
        description=docs.description,
        version=docs.version,
        openapi_url=docs.openapi_url,
        docs_url=None,
        redoc_url=None,
        openapi_tags=docs.tags,
        lifespan=lifespan,
        telemetry=server_telemetry(),
    )
    install_problem_handlers(app)
    app.include_router(_health_router(uses_db=uses_db, uses_redis=uses_redis))
    for router in routers:
        app.include_router(router)
    for extra in middleware:
        app.add_middleware(extra)
    instrument_app(app, service)
    app.add_middleware(RequestIdMiddleware)
    return app


def _health_router(*, uses_db: bool, uses_redis: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers. Never checks Postgres or Redis."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the dependencies answer and we are not draining."""
        checks = await _readiness_checks(request.app, uses_db=uses_db, uses_redis=uses_redis)
        # Redis is reported but not required: services degrade without their cache.
        if all(ok for name, ok in checks.items() if name != "redis"):
            return JSONResponse({"status": "ready", "checks": checks})
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        body = {
            "type": "https://fabrika.dev/problems/not-ready",
            "title": "Not Ready",
            "status": 503,
            "detail": f"Not ready: {failing}.",
            "checks": checks,
        }
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)

    return router


async def _readiness_checks(app: FastAPI, *, uses_db: bool, uses_redis: bool) -> dict[str, bool]:
    checks = {"accepting": not app.state.draining}
    if uses_db:
        try:
            async with app.state.readiness_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["postgres"] = True
        except Exception as exc:  # any failure means not ready; the reason goes to the log
            log.warning("readiness: postgres failed", error=repr(exc))
            checks["postgres"] = False
    if uses_redis:
        try:
            checks["redis"] = bool(await app.state.redis.ping())
        except Exception as exc:
            log.warning("readiness: redis failed", error=repr(exc))
            checks["redis"] = False
    return checks
