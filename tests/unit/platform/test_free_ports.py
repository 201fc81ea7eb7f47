import socket

from fabrika.platform.launcher import _ephemeral_ports_start, free_port, free_port_range


def test_ports_are_chosen_below_the_kernels_ephemeral_range() -> None:
    start = _ephemeral_ports_start()
    for _ in range(50):
        base = free_port_range(12)
        assert base >= 10_000 and base + 12 <= start
    assert free_port() < start


def test_every_port_of_a_range_can_be_bound() -> None:
    base = free_port_range(4)
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(4)]
    try:
        for offset, server in enumerate(sockets):
            server.bind(("127.0.0.1", base + offset))
    finally:
        for server in sockets:
            server.close()
