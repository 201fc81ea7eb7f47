"""Every error leaves a service as RFC 9457 problem+json, validation errors included."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from fabrika.core.errors import Conflict, install_problem_handlers


class Body(BaseModel):
    quantity: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict:
        if body.quantity == 13:
            raise Conflict("Thirteen is taken.", current_status="QUOTED")
        if body.quantity == 666:
            raise RuntimeError("boom")
        return {"ok": True}

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_domain_error_becomes_a_problem_with_its_extensions(client) -> None:
    response = await client.post("/things", json={"quantity": 13})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 409 and body["detail"] == "Thirteen is taken."
    assert body["current_status"] == "QUOTED" and body["instance"] == "/things"


async def test_a_validation_error_points_at_the_bad_field(client) -> None:
    response = await client.post("/things", json={"quantity": "many"})
    body = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["pointer"] == "/quantity"
    assert "/quantity" in body["detail"]


async def test_malformed_json_is_a_problem_not_a_crash(client) -> None:
    response = await client.post(
        "/things", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("validation-error")


async def test_an_unknown_path_is_a_problem(client) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"


async def test_an_unexpected_failure_hides_internals(client) -> None:
    response = await client.post("/things", json={"quantity": 666})
    assert response.status_code == 500
    assert "boom" not in response.text
    assert response.json()["type"].endswith("internal-error")
