"""Calling other services through the gateway's internal entry, and reading their problems."""

import asyncio
from typing import Any

import httpx

from fabrika.core.errors import Problem


class ServiceError(Exception):
    """Another service answered with an error or could not be reached.

    `transient` says whether retrying can help (timeouts, resets, 5xx) or not (4xx: the
    other side refused the request and will refuse it again).
    """

    def __init__(self, message: str, *, status: int | None, problem: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}

    @property
    def transient(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in (408, 429)

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self)

    @property
    def code(self) -> str:
        return str(self.problem.get("code") or self.problem.get("type", "")).rsplit("/", 1)[-1]


def raise_for_problem(response: httpx.Response) -> None:
    """Turn an error response into a ServiceError carrying the callee's problem document."""
    if response.is_success:
        return
    try:
        problem = response.json()
    except ValueError:
        problem = {"detail": response.text[:200]}
    raise ServiceError(
        f"{response.request.method} {response.request.url.path} answered {response.status_code}",
        status=response.status_code,
        problem=problem if isinstance(problem, dict) else {},
    )


async def call_json(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    json: object | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    attempts: int = 1,
) -> Any:
    """One call to another service; any failure becomes a ServiceError.

    `attempts` > 1 retries transient failures with a short growing pause: only for calls
    that change nothing (the gateway itself retries only GETs once a request was sent).
    """
    for attempt in range(attempts):
        try:
            return await _call_once(http, method, path, json, content, headers, params)
        except ServiceError as exc:
            if not exc.transient or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


async def _call_once(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    json: object | None,
    content: bytes | None,
    headers: dict[str, str] | None,
    params: dict[str, str] | None,
) -> Any:
    try:
        response = await http.request(
            method, path, json=json, content=content, headers=headers, params=params
        )
    except httpx.HTTPError as exc:
        raise ServiceError(f"{method} {path} failed: {exc!r}", status=None) from exc
    raise_for_problem(response)
    return response.json() if response.content else None


def problem_from(error: ServiceError) -> Problem:
    """Pass another service's refusal on to our own client unchanged."""
    problem = error.problem
    if error.transient:
        return Problem(
            "A service this request depends on is unavailable right now; retry shortly.",
            status=503,
            type="dependency-unavailable",
            title="Service Unavailable",
            headers={"Retry-After": "2"},
        )
    extensions = {
        k: v
        for k, v in problem.items()
        if k not in {"type", "title", "status", "detail", "instance"}
    }
    return Problem(
        error.detail,
        status=error.status,
        type=problem.get("type"),
        title=problem.get("title"),
        **extensions,
    )
