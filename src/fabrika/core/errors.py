"""One way to fail: domain errors carry a problem type and a human message; one set of
handlers turns every error, validation included, into RFC 9457 problem+json."""

from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://fabrika.dev/problems/"
PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger()


class ProblemDetails(BaseModel):
    """An error (RFC 9457): clients key on `type`; `title` is fixed per type; `detail` tells
    a person how to fix the request. Some types carry more members (e.g. `errors`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "validation-error"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["The request is not valid: /items/0/quantity: must be ≥ 1."])
    instance: str | None = Field(None, examples=["/v1/orders"])
    errors: list[dict[str, str]] | None = Field(
        None, description="For an invalid request: a JSON pointer and a reason per field."
    )


class Problem(Exception):
    """An error a client can act on. Subclass per problem type or raise with arguments."""

    status: int = 400
    type: str = "about:blank"
    title: str = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        type: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type if ":" in type else PROBLEM_BASE + type
        if title is not None:
            self.title = title
        self.extensions = extensions

    def to_dict(self, instance: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {"type": self.type, "title": self.title, "status": self.status}
        body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        return {**body, **self.extensions}


class NotFound(Problem):
    status = 404
    type = PROBLEM_BASE + "not-found"
    title = "Not Found"


class Conflict(Problem):
    status = 409
    type = PROBLEM_BASE + "conflict"
    title = "Conflict"


class Unprocessable(Problem):
    status = 422
    type = PROBLEM_BASE + "unprocessable"
    title = "Unprocessable Content"


class ServiceUnavailable(Problem):
    status = 503
    type = PROBLEM_BASE + "service-unavailable"
    title = "Service Unavailable"


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    """The problem+json response for `problem`, headers included."""
    return JSONResponse(
        problem.to_dict(instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each invalid part of a request: a JSON pointer to it and what is wrong."""
    errors: list[dict[str, str]] = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        errors.append({"pointer": "/" + "/".join(location), "detail": error.get("msg", "")})
    return errors


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    summary = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5])
    problem = Problem(
        f"The request is not valid: {summary}.",
        status=422,
        type="validation-error",
        title="Invalid request",
        errors=errors,
    )
    return problem_response(problem, request)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    problem = Problem(
        detail or f"{title}: {request.method} {request.url.path}.",
        status=exc.status_code,
        title=title,
        headers=dict(exc.headers) if exc.headers else None,
    )
    return problem_response(problem, request)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    problem = Problem(
        "Something went wrong on our side; the request was not completed. Retry later, "
        "and quote the X-Request-ID header if you contact support.",
        status=500,
        type="internal-error",
        title="Internal Server Error",
    )
    return problem_response(problem, request)


def install_problem_handlers(app: FastAPI) -> None:
    """Replace FastAPI's `{"detail": ...}` errors with problem+json everywhere."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
