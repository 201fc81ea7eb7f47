"""Reading an uploaded file as a request body, never more of it than the service takes."""

from fastapi import Request

from fabrika.core.errors import Problem


def too_large(limit: int) -> Problem:
    return Problem(
        f"The model is larger than {limit // (1024 * 1024)} MB; simplify the mesh or split it.",
        status=413,
        type="model-too-large",
        title="Model too large",
        code="too_large",
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `limit` bytes: from its
    declared length, or while it streams in."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
