"""OpenAPI documents that tell the truth about errors: every error a service answers is
problem+json (RFC 9457), and its document says so for each operation, in place of
FastAPI's `{"detail": …}` validation error."""

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from fabrika.core.errors import PROBLEM_JSON, ProblemDetails

Operation = dict[str, Any]  # an OpenAPI operation object, as FastAPI builds it
STATUS_TEXT = {
    400: "The request cannot be read, or a required header is missing or malformed.",
    401: "No API key, or one that is not valid, revoked or expired.",
    403: "The key lacks the scope this operation needs (`required_scope`).",
    404: "Nothing by that id for you.",
    409: "In conflict with what exists, or the same request is still running.",
    413: "The body is larger than this service takes.",
    415: "The body is not of a type this operation takes.",
    422: "The request is valid JSON but cannot be done as asked: see `errors` and `detail`.",
    429: "Over quota: see `violated-policies`, and retry after `Retry-After` seconds.",
    503: "A service this one needs is away for a moment; retry after `Retry-After`.",
}


def problem_response(status: int, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": STATUS_TEXT.get(status, "An error."),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if headers:
        response["headers"] = dict(headers)
    return response


def document_problems(
    app: FastAPI,
    errors_of: Callable[[str, str, Operation], Mapping[int, Mapping[str, Any] | None]],
    *,
    on_every_response: Mapping[str, Any] | None = None,
) -> None:
    """Make `app.openapi()` document each operation's errors: `errors_of(path, method,
    operation)` gives {status: headers or None} for it. `on_every_response` adds headers to
    every response of every operation (quota headers, say)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["ProblemDetails"] = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for path, methods in document.get("paths", {}).items():
            for method, operation in methods.items():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                for status, headers in errors_of(path, method, operation).items():
                    responses[str(status)] = problem_response(status, headers)
                for response in responses.values():
                    if on_every_response:
                        response.setdefault("headers", {}).update(on_every_response)
        app.openapi_schema = document
        return document

    # FastAPI's documented way to replace its document; mypy objects to assigning a method.
    app.openapi = openapi  # type: ignore[method-assign]
