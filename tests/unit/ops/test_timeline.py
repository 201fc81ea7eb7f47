from fabrika.ops.timeline import step_timeline


def step(function_id: int, name: str, output=None, error=None, started=1000, completed=1250):
    return {
        "function_id": function_id,
        "function_name": f"fabrika.orders.steps.{name}",
        "output": output,
        "error": error,
        "started_at_epoch_ms": started,
        "completed_at_epoch_ms": completed,
    }


def test_a_step_shows_its_duration_and_attempts() -> None:
    [entry] = step_timeline([step(1, "register_in_crm", {"ok": True, "attempts": 3})])
    assert (entry.name, entry.duration_ms, entry.attempts, entry.outcome) == (
        "register_in_crm",
        250,
        3,
        "ok",
    )


def test_a_refusal_is_shown_with_its_reason() -> None:
    [entry] = step_timeline(
        [step(2, "reserve_capacity", {"ok": False, "code": "no_capacity", "detail": "Too late."})]
    )
    assert entry.outcome == "refused" and entry.error == "no_capacity: Too late."


def test_an_exhausted_step_is_an_error() -> None:
    [entry] = step_timeline([step(3, "accept_into_production", error=RuntimeError("down"))])
    assert entry.outcome == "error" and "down" in entry.error


def test_a_step_still_running_has_no_duration() -> None:
    [entry] = step_timeline([step(4, "clock", completed=None)])
    assert entry.duration_ms is None
