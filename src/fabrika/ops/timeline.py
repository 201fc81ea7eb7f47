"""A saga's steps as an operator reads them. Pure."""

from typing import Any

HIDDEN_STEPS = {"DBOS.sleep", "DBOS.recv", "DBOS.getEvent"}


def step_timeline(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step with its duration, attempts and outcome, in execution order."""
    timeline = []
    for step in steps:
        name = step["function_name"].rsplit(".", 1)[-1]
        started, completed = step.get("started_at_epoch_ms"), step.get("completed_at_epoch_ms")
        output = step.get("output") if isinstance(step.get("output"), dict) else {}
        entry: dict[str, Any] = {
            "step": step["function_id"],
            "name": name,
            "started_at_ms": started,
            "duration_ms": completed - started if started and completed else None,
            "attempts": output.get("attempts", 1),
        }
        if step.get("error") is not None:
            entry["outcome"] = "error"
            entry["error"] = repr(step["error"])
        elif output.get("ok") is False:
            entry["outcome"] = "refused"
            entry["error"] = f"{output.get('code')}: {output.get('detail')}"
        else:
            entry["outcome"] = "ok"
        timeline.append(entry)
    return timeline
