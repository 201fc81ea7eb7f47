"""Calls between services over a real socket: ids carried along, failures classified."""

import re

import pytest
import structlog
from aiohttp import web

from fabrika.core.http import ServiceClient, ServiceError, call_json
from fabrika.core.telemetry import configure_tracing
from tests.ports import free_port

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


async def echo(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else None
    return web.json_response({"headers": dict(request.headers), "body": body})


async def refuse(request: web.Request) -> web.Response:
    problem = {"type": "https://fabrika.dev/problems/conflict", "status": 409, "detail": "No."}
    return web.json_response(problem, status=409, content_type="application/problem+json")


async def fail(request: web.Request) -> web.Response:
    return web.Response(status=503, text="down for a moment")


@pytest.fixture
async def service():
    """A small HTTP service on a free port, and a client of it."""
    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/refuse", refuse)
    app.router.add_post("/fail", fail)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    client = ServiceClient(f"http://127.0.0.1:{port}", timeout_s=5)
    yield client
    await client.close()
    await runner.cleanup()


async def test_a_call_carries_the_request_id_and_the_trace_context(service) -> None:
    configure_tracing("test")
    structlog.contextvars.bind_contextvars(request_id="req-42")
    try:
        answer = await call_json(service, "POST", "/echo", json={"a": 1})
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    assert headers["x-request-id"] == "req-42"
    assert TRACEPARENT.match(headers["traceparent"])
    assert answer["body"] == {"a": 1}


async def test_a_refusal_is_not_transient_and_keeps_the_callees_problem(service) -> None:
    with pytest.raises(ServiceError) as refused:
        await call_json(service, "POST", "/refuse", json={})
    assert refused.value.status == 409 and not refused.value.transient
    assert refused.value.detail == "No." and refused.value.code == "conflict"


async def test_a_5xx_is_transient(service) -> None:
    with pytest.raises(ServiceError) as failed:
        await call_json(service, "POST", "/fail", json={})
    assert failed.value.status == 503 and failed.value.transient


async def test_nobody_listening_is_transient() -> None:
    client = ServiceClient(f"http://127.0.0.1:{free_port()}", timeout_s=2)
    try:
        with pytest.raises(ServiceError) as unreachable:
            await call_json(client, "POST", "/echo", json={})
    finally:
        await client.close()
    assert unreachable.value.status is None and unreachable.value.transient
