"""HAProxy's runtime API over its admin socket: server states now, server changes later."""

import asyncio
import csv
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerState:
    backend: str
    server: str
    sessions: int
    status: str  # UP, DOWN, MAINT, DRAIN, "no check"; "UP 1/2" while a failing check counts
    served: int = 0  # requests sent to it since HAProxy started

    @property
    def up(self) -> bool:
        return self.status.split(" ")[0] == "UP"


async def run_command(socket_path: Path, command: str, timeout_s: float = 5.0) -> str:
    """Send one command to the runtime API and return its whole answer."""

    async def exchange() -> str:
        reader, writer = await asyncio.open_unix_connection(str(socket_path))
        try:
            writer.write(command.encode() + b"\n")
            await writer.drain()
            return (await reader.read()).decode()
        finally:
            writer.close()
            await writer.wait_closed()

    return await asyncio.wait_for(exchange(), timeout_s)


def parse_server_states(stat_csv: str) -> list[ServerState]:
    """Servers (not frontends or backends) from `show stat` CSV output."""
    rows = csv.DictReader(io.StringIO(stat_csv.lstrip("# ")))
    return [
        ServerState(
            row["pxname"],
            row["svname"],
            int(row["scur"] or 0),
            row["status"],
            int(row.get("stot") or 0),
        )
        for row in rows
        if row.get("svname") not in (None, "FRONTEND", "BACKEND")
    ]


async def server_states(socket_path: Path) -> list[ServerState]:
    return parse_server_states(await run_command(socket_path, "show stat"))


async def set_server_state(socket_path: Path, backend: str, server: str, state: str) -> None:
    """`ready` lets a server take traffic (once its health check passes), `drain` lets it
    finish what it has but sends it nothing new, `maint` takes it out."""
    answer = await run_command(socket_path, f"set server {backend}/{server} state {state}")
    if answer.strip():
        raise RuntimeError(f"HAProxy refused {backend}/{server} → {state}: {answer.strip()}")
