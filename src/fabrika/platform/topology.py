"""Which processes the platform runs and on which ports. Pure: no processes started here."""

from collections.abc import Mapping
from dataclasses import dataclass

HTTP_SERVICES = ("shop", "b2b", "crm", "mes", "notify", "ops", "saga", "quote")
MAX_INSTANCES = 8  # ports per service: each instance of a service has a fixed port
WORKERS = frozenset({"saga", "quote"})
# More than one instance of what customers and the saga lean on most, one of the rest.
DEFAULT_SCALE: Mapping[str, int] = {
    service: 2 if service in ("shop", "crm", "mes") else 1 for service in HTTP_SERVICES
}


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
        if (
            not sep
            or service not in HTTP_SERVICES
            or not count.isdigit()
            or not 1 <= int(count) <= MAX_INSTANCES
        ):
            raise ValueError(
                f"bad --scale entry {part!r}: expected SERVICE=N with 1 ≤ N ≤ {MAX_INSTANCES} "
                "and SERVICE one of " + ", ".join(HTTP_SERVICES)
            )
        scale[service] = int(count)
    return scale


def port_of(service: str, index: int, port_base: int) -> int:
    """Instance `index` of `service` always gets the same port, so HAProxy can list every
    possible instance up front and scaling only switches servers on and off."""
    if not 0 <= index < MAX_INSTANCES:
        raise ValueError(f"{service}: at most {MAX_INSTANCES} instances")
    return port_base + HTTP_SERVICES.index(service) * MAX_INSTANCES + index


def plan_instances(scale: Mapping[str, int], port_base: int) -> list[Instance]:
    """The instances to start: per service, its count from `scale` (default one)."""
    return [
        Instance(service, index, port_of(service, index, port_base))
        for service in HTTP_SERVICES
        for index in range(scale.get(service, DEFAULT_SCALE[service]))
    ]
