"""Which processes the platform runs and on which ports. Pure: no processes started here."""

from collections.abc import Mapping
from dataclasses import dataclass

HTTP_SERVICES = ("shop", "b2b", "crm", "mes", "notify", "ops", "saga", "quote")
WORKERS = frozenset({"saga", "quote"})
DEFAULT_SCALE: Mapping[str, int] = {service: 1 for service in HTTP_SERVICES}


@dataclass(frozen=True)
class Instance:
    service: str
    index: int
    port: int

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"


def parse_scale(text: str) -> dict[str, int]:
    """`shop=2,mes=3` → {"shop": 2, "mes": 3}, with errors a person can act on."""
    scale: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        service, sep, count = part.partition("=")
        if not sep or service not in HTTP_SERVICES or not count.isdigit() or int(count) < 1:
            raise ValueError(
                f"bad --scale entry {part!r}: expected SERVICE=N with N ≥ 1 and SERVICE one of "
                + ", ".join(HTTP_SERVICES)
            )
        scale[service] = int(count)
    return scale


def plan_instances(scale: Mapping[str, int], port_base: int) -> list[Instance]:
    """Number the instances of every service and give each its own port from `port_base`."""
    instances = []
    port = port_base
    for service in HTTP_SERVICES:
        for index in range(scale.get(service, DEFAULT_SCALE[service])):
            instances.append(Instance(service, index, port))
            port += 1
    return instances
