"""The autoscaler inside `fabrika up`: reads each service's load, decides, scales, reports.

Policies are data (autoscaling.toml). Every decision is logged, exported as metrics and
written to `<run dir>/autoscaler.json`, which the operators' entry serves.
"""

import asyncio
import contextlib
import json
import re
import time
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Literal, Self

import httpx
import structlog
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fabrika.contracts import JsonObject
from fabrika.core.settings import Settings
from fabrika.platform.autoscaler import Autoscaler, Decision, ScalingPolicy
from fabrika.platform.scaling import Scaler

log = structlog.get_logger()
POLICIES_PATH = Path(__file__).with_name("autoscaling.toml")
SAMPLE_S = 1.0
DESIRED = Gauge("fabrika_autoscaler_desired_instances", "Instances wanted", ["service"])
CURRENT = Gauge("fabrika_autoscaler_instances", "Instances running", ["service"])
IN_FLIGHT = re.compile(r'^fabrika_http_requests_in_flight\{service="[^"]+"\} ([0-9.e+-]+)$', re.M)
# Waiting and running jobs, as KEDA's query in deploy/ counts them: a queue just emptied
# by busy workers is not idle.
WAITING = text(
    "SELECT count(*) FROM dbos.workflow_status "
    "WHERE queue_name = :queue AND status IN ('ENQUEUED', 'PENDING')"
)


class ServiceScaling(BaseModel):
    """One service's entry in autoscaling.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: Literal["in_flight", "queue"]
    queue: str | None = None
    minimum: int
    maximum: int
    target: float
    stabilization_s: float = 30.0

    @model_validator(mode="after")
    def _queue_named(self) -> Self:
        if (self.metric == "queue") != (self.queue is not None):
            raise ValueError("a queue metric names its queue, and only a queue metric does")
        return self

    def policy(self, service: str) -> ScalingPolicy:
        return ScalingPolicy(
            service,
            minimum=self.minimum,
            maximum=self.maximum,
            target=self.target,
            stabilization_s=self.stabilization_s,
        )


class AutoscalingFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_s: float = 5.0
    services: dict[str, ServiceScaling]


def load_policies(
    path: Path = POLICIES_PATH,
) -> tuple[float, dict[str, tuple[ScalingPolicy, ServiceScaling]]]:
    """The decision interval and, per service, its policy and how its load is read."""
    document = AutoscalingFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    policies = {
        service: (spec.policy(service), spec) for service, spec in document.services.items()
    }
    return document.interval_s, policies


async def in_flight_per_instance(http: httpx.AsyncClient, ports: list[int]) -> float | None:
    """Average requests in flight over the instances that answered their /metrics; None when
    none did (a busy service that cannot be read must not look idle)."""
    values = []
    for port in ports:
        with contextlib.suppress(httpx.HTTPError):
            body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            values.append(sum(float(v) for v in IN_FLIGHT.findall(body)))
    return sum(values) / len(values) if values else None


class AutoscalerLoop:
    """Samples each service's load, decides, scales one instance a round, and reports."""

    def __init__(
        self,
        settings: Settings,
        scaler: Scaler,
        engine: AsyncEngine,
        *,
        policies_path: Path = POLICIES_PATH,
    ) -> None:
        self.settings = settings
        self.scaler = scaler
        self.engine = engine
        self.interval_s, policies = load_policies(policies_path)
        self.scalers = {service: Autoscaler(policy) for service, (policy, _) in policies.items()}
        self.specs = {service: spec for service, (_, spec) in policies.items()}
        self.decisions: list[JsonObject] = []
        self.samples: dict[str, list[float]] = {}

    async def metric(self, http: httpx.AsyncClient, service: str) -> float | None:
        spec = self.specs[service]
        if spec.metric == "queue":
            async with self.engine.connect() as conn:
                waiting = await conn.scalar(WAITING, {"queue": spec.queue})
            return (waiting or 0) / max(self.scaler.count(service), 1)
        return await in_flight_per_instance(http, self.scaler.ports(service))

    async def sample(self, http: httpx.AsyncClient) -> None:
        """Read every service's load once; a round decides on the mean of its samples."""
        for service in self.scalers:
            reading = await self.metric(http, service)
            if reading is not None:
                self.samples.setdefault(service, []).append(reading)

    async def round(self) -> list[Decision]:
        decisions = []
        for service, autoscaler in self.scalers.items():
            samples = self.samples.pop(service, [])
            if not samples:
                log.warning("autoscaler could not read the load", service=service)
                continue
            current = self.scaler.count(service)
            metric = sum(samples) / len(samples)
            decision = autoscaler.decide(
                now=time.monotonic(), current=current, metric_per_instance=metric
            )
            DESIRED.labels(service).set(decision.desired)
            CURRENT.labels(service).set(current)
            if decision.changes:
                log.info("autoscaler decision", **asdict(decision))
                self.record(decision)
                # One instance per round: the next round sees the effect before going on.
                if decision.desired > current:
                    await self.scaler.scale_out(service)
                else:
                    await self.scaler.scale_in(service)
            decisions.append(decision)
        self.write_report()
        return decisions

    def record(self, decision: Decision) -> None:
        self.decisions = [*self.decisions[-99:], {"at": time.time(), **asdict(decision)}]

    def write_report(self) -> None:
        report = {
            "instances": {s: self.scaler.count(s) for s in self.scalers},
            "policies": {s: asdict(a.policy) for s, a in self.scalers.items()},
            "decisions": self.decisions,
        }
        path = self.settings.run_dir / "autoscaler.json"
        path.with_suffix(".tmp").write_text(json.dumps(report))
        path.with_suffix(".tmp").replace(path)

    async def run(self, stop: asyncio.Event) -> None:
        """Sample the load every SAMPLE_S, decide every interval: a queue's depth or the
        requests in flight at one instant are noise under random arrivals, their mean over
        the interval is the load."""
        loop = asyncio.get_running_loop()
        next_round = loop.time() + self.interval_s
        async with httpx.AsyncClient(timeout=2) as http:
            while not stop.is_set():
                try:
                    await self.sample(http)
                    if loop.time() >= next_round:
                        await self.round()
                        next_round = loop.time() + self.interval_s
                except Exception as exc:  # a failed round must not stop the platform
                    log.warning("autoscaler round failed", error=repr(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), SAMPLE_S)
