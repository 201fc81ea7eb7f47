"""A service continues its caller's trace: the ids it logs are the caller's trace."""

import httpx
from fastapi import APIRouter
from opentelemetry import trace

from fabrika.core.app import create_app

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _app_reporting_its_trace():
    router = APIRouter()

    @router.get("/trace")
    async def current_trace() -> dict[str, str]:
        context = trace.get_current_span().get_span_context()
        return {
            "trace_id": format(context.trace_id, "032x"),
            "span_id": format(context.span_id, "016x"),
        }

    return create_app("tracing-test", routers=[router], uses_db=False)


async def test_a_request_with_traceparent_is_served_in_the_callers_trace() -> None:
    transport = httpx.ASGITransport(app=_app_reporting_its_trace())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        headers = {"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"}
        answer = (await http.get("/trace", headers=headers)).json()
    assert answer["trace_id"] == CALLER_TRACE
    assert answer["span_id"] != "00f067aa0ba902b7"  # a server span of its own, in that trace


async def test_a_request_without_traceparent_starts_a_trace() -> None:
    transport = httpx.ASGITransport(app=_app_reporting_its_trace())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        first = (await http.get("/trace")).json()
        second = (await http.get("/trace")).json()
    assert int(first["trace_id"], 16) != 0
    assert first["trace_id"] != second["trace_id"]
