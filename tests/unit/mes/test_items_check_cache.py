import uuid

import pytest

from fabrika.contracts.orders import Item
from fabrika.core.http import ServiceError
from fabrika.mes import client as mes_client
from fabrika.mes.client import MesClient


@pytest.fixture
def asked(monkeypatch) -> list[list[dict]]:
    """The checks that reached MES; a material called "unobtainium" is refused there."""
    calls: list[list[dict]] = []

    async def call_json(http, method, path, *, json=None, params=None, attempts=1):
        calls.append(json["items"])
        if any(item["material"] == "unobtainium" for item in json["items"]):
            raise ServiceError("refused", status=422, problem={"detail": "no"})

    monkeypatch.setattr(mes_client, "call_json", call_json)
    mes_client.PASSED_KINDS.clear()
    return calls


def part(material: str = "pla", **geometry) -> Item:
    return Item(
        material=material, process="fdm", quantity=1, **(geometry or {"dimensions_mm": (1, 2, 3)})
    )


async def test_a_kind_of_part_that_passed_is_not_asked_about_again(asked) -> None:
    mes = MesClient(http=None)
    await mes.check_items([part()])
    await mes.check_items([part(), part()])
    assert len(asked) == 1
    await mes.check_items([part(), part("petg")])  # one kind not seen yet: asked again
    assert len(asked) == 2


async def test_a_refused_kind_is_asked_about_every_time(asked) -> None:
    mes = MesClient(http=None)
    for _ in range(2):
        with pytest.raises(ServiceError):
            await mes.check_items([part("unobtainium")])
    assert len(asked) == 2


async def test_a_part_from_an_uploaded_model_is_always_asked_about(asked) -> None:
    mes = MesClient(http=None)
    await mes.check_items([part()])
    await mes.check_items([part(model_id=uuid.uuid4())])
    assert len(asked) == 2
