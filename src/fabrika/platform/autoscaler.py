"""The autoscaling rule, as Kubernetes' HPA states it. Pure: no processes, no clock.

desired = ceil(current × metric per instance / target), kept within [minimum, maximum];
a change within the tolerance is no change; scaling in follows the highest recommendation
of the stabilisation window, so a dip in load does not remove an instance it will need
again a moment later (flapping), while scaling out reacts at once.
"""

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScalingPolicy:
    """Bounds and target for one service: in-flight requests, or jobs waiting or running,
    per instance."""

    service: str
    minimum: int
    maximum: int
    target: float
    stabilization_s: float = 30.0
    tolerance: float = 0.1

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError(f"{self.service}: need 1 ≤ minimum ≤ maximum")
        if self.target <= 0:
            raise ValueError(f"{self.service}: the target must be positive")


@dataclass(frozen=True)
class Decision:
    service: str
    current: int
    desired: int
    metric: float
    reason: str

    @property
    def changes(self) -> bool:
        return self.desired != self.current


def recommend(policy: ScalingPolicy, current: int, metric_per_instance: float) -> int:
    """The HPA formula with its tolerance and the policy's bounds."""
    ratio = metric_per_instance / policy.target
    within_tolerance = abs(ratio - 1.0) <= policy.tolerance
    wanted = current if within_tolerance else math.ceil(current * ratio)
    return max(policy.minimum, min(policy.maximum, wanted))


@dataclass
class Autoscaler:
    """One service's recommendations over time, and the decision they lead to."""

    policy: ScalingPolicy
    history: deque[tuple[float, int]] = field(default_factory=deque)

    def decide(self, *, now: float, current: int, metric_per_instance: float) -> Decision:
        recommendation = recommend(self.policy, current, metric_per_instance)
        if not self.history:
            # The instances running when observation starts count as wanted: scaling in
            # waits a whole window, as it would after any other recommendation.
            self.history.append((now, current))
        self.history.append((now, recommendation))
        while self.history and self.history[0][0] < now - self.policy.stabilization_s:
            self.history.popleft()
        # Scaling in: never below what any recommendation in the window asked for (which
        # may be more than the current count while one instance a round is being added).
        desired = recommendation if recommendation >= current else max(r for _, r in self.history)
        if desired != current:
            reason = "scale out" if desired > current else "scale in"
        else:
            reason = "hold" if recommendation >= current else "hold (stabilising)"
        return Decision(self.policy.service, current, desired, metric_per_instance, reason)
