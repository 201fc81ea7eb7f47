import pytest

from fabrika.platform.topology import HTTP_SERVICES, parse_scale, plan_instances


def test_scale_is_read_from_service_counts() -> None:
    assert parse_scale("shop=2, mes=3") == {"shop": 2, "mes": 3}


@pytest.mark.parametrize("text", ["shop", "shop=0", "warehouse=2", "mes=two"])
def test_a_bad_scale_entry_is_named_in_the_error(text: str) -> None:
    with pytest.raises(ValueError, match="bad --scale entry"):
        parse_scale(text)


def test_every_service_gets_at_least_one_instance_on_its_own_port() -> None:
    instances = plan_instances({"mes": 3}, port_base=9100)
    assert {i.service for i in instances} == set(HTTP_SERVICES)
    assert [i.name for i in instances if i.service == "mes"] == ["mes-0", "mes-1", "mes-2"]
    ports = [i.port for i in instances]
    assert len(set(ports)) == len(ports) and min(ports) == 9100
