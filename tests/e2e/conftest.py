"""The whole platform, started the way `make up` starts it, on free ports."""

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from fabrika.gateway.runtime import server_states, set_server_state
from fabrika.platform.launcher import RunningPlatform, running_platform

CONFIRM_TIMEOUT_S = 12
DEMO_KEY = "fab_e2e_" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def platform() -> Iterator[RunningPlatform]:
    overrides = {
        "FABRIKA_CONFIRM_TIMEOUT_S": str(CONFIRM_TIMEOUT_S),
        "FABRIKA_DEMO_B2B_KEY": DEMO_KEY,
        "FABRIKA_LOG_LEVEL": "INFO",
    }
    # Two B2B instances: what partners are promised holds on every instance.
    with running_platform(overrides, scale="b2b=2") as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def wait_for_status(
    client: httpx.Client, url: str, statuses: set[str], timeout_s: float = 60.0, **kw
) -> dict:
    """Poll an order until it reaches one of `statuses`; fail with its last state."""
    deadline = time.monotonic() + timeout_s
    body: dict = {}
    while time.monotonic() < deadline:
        response = client.get(url, **kw)
        if response.status_code == 200:
            body = response.json()
            if body["status"] in statuses:
                return body
        time.sleep(0.3)
    raise AssertionError(f"order never reached {statuses}; last seen: {body}")


def wait_for_mail(client: httpx.Client, ops: str, to: str, count: int, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    messages: list = []
    while time.monotonic() < deadline:
        messages = client.get(f"{ops}/api/v1/mailbox", params={"to": to}).json()
        if len(messages) >= count:
            return messages
        time.sleep(0.3)
    raise AssertionError(f"expected {count} messages to {to}, got {messages}")


def backend_switch(platform: RunningPlatform, backend: str) -> Callable[[str], None]:
    """Sets every server of a gateway backend that is up now to a state: `maint` takes the
    service away from its callers, `ready` brings it back."""
    runtime = platform.run_dir / "haproxy.sock"
    servers = [
        state.server
        for state in asyncio.run(server_states(runtime))
        if state.backend == backend and state.up
    ]

    def switch(state: str) -> None:
        for server in servers:
            asyncio.run(set_server_state(runtime, backend, server, state))

    return switch
