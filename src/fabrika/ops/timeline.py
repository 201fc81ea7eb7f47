"""A saga's steps as an operator reads them. Pure."""

from collections.abc import Sequence

from dbos import StepInfo

from fabrika.ops.schemas import StepOutcome, TimelineStep


def step_timeline(steps: Sequence[StepInfo]) -> list[TimelineStep]:
    """Each step with its duration, attempts and outcome, in execution order."""
    return [_timeline_step(step) for step in steps]


def _timeline_step(step: StepInfo) -> TimelineStep:
    started, completed = step["started_at_epoch_ms"], step["completed_at_epoch_ms"]
    output = step["output"] if isinstance(step["output"], dict) else {}
    outcome: StepOutcome = "ok"
    error = None
    if step["error"] is not None:
        outcome, error = "error", repr(step["error"])
    elif output.get("ok") is False:
        outcome, error = "refused", f"{output.get('code')}: {output.get('detail')}"
    return TimelineStep(
        step=step["function_id"],
        name=step["function_name"].rsplit(".", 1)[-1],
        started_at_ms=started,
        duration_ms=completed - started if started and completed else None,
        attempts=output.get("attempts", 1),
        outcome=outcome,
        error=error,
    )
