"""Free ports on 127.0.0.1 for the servers a test run starts."""

import random
import socket


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port_range(count: int, attempts: int = 200) -> int:
    """The first of `count` consecutive free ports."""
    for _ in range(attempts):
        base = random.randint(20_000, 40_000)
        if all(is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")
