import pytest

from fabrika.platform.autoscaler import Autoscaler, Decision, ScalingPolicy, recommend

MES = ScalingPolicy("mes", minimum=1, maximum=4, target=8, stabilization_s=30)


def test_desired_instances_follow_the_hpa_formula() -> None:
    assert recommend(MES, current=2, metric_per_instance=12) == 3  # ceil(2 × 12 / 8)


def test_a_change_within_the_tolerance_is_no_change() -> None:
    assert recommend(MES, current=3, metric_per_instance=8.7) == 3


def test_the_maximum_bounds_a_surge() -> None:
    assert recommend(MES, current=2, metric_per_instance=100) == 4


def test_the_minimum_bounds_an_idle_service() -> None:
    assert recommend(MES, current=3, metric_per_instance=0) == 1


def test_scaling_out_happens_at_once() -> None:
    scaler = Autoscaler(MES)
    decision = scaler.decide(now=0, current=1, metric_per_instance=20)
    assert (decision.desired, decision.reason) == (3, "scale out")


def test_a_dip_within_the_window_does_not_scale_in() -> None:
    scaler = Autoscaler(MES)
    scaler.decide(now=0, current=3, metric_per_instance=8)
    decision = scaler.decide(now=10, current=3, metric_per_instance=1)
    assert decision.desired == 3 and not decision.changes


def test_a_lasting_drop_scales_in_after_the_window() -> None:
    scaler = Autoscaler(MES)
    scaler.decide(now=0, current=3, metric_per_instance=8)
    for second in range(5, 31, 5):
        scaler.decide(now=second, current=3, metric_per_instance=1)
    decision = scaler.decide(now=35, current=3, metric_per_instance=1)
    assert (decision.desired, decision.reason) == (1, "scale in")


def test_a_fresh_autoscaler_does_not_scale_in_before_a_window_has_passed() -> None:
    scaler = Autoscaler(MES)
    assert scaler.decide(now=0, current=2, metric_per_instance=0).desired == 2
    assert scaler.decide(now=31, current=2, metric_per_instance=0).desired == 1


@pytest.mark.parametrize(
    ("minimum", "maximum", "target", "rule"),
    [
        (0, 2, 1, "need 1 ≤ minimum ≤ maximum"),
        (3, 2, 1, "need 1 ≤ minimum ≤ maximum"),
        (1, 2, 0, "the target must be positive"),
    ],
)
def test_an_impossible_policy_is_refused_naming_the_service_and_the_rule(
    minimum: int, maximum: int, target: float, rule: str
) -> None:
    with pytest.raises(ValueError) as caught:
        ScalingPolicy("mes", minimum=minimum, maximum=maximum, target=target)
    assert str(caught.value) == f"mes: {rule}"


def test_a_scale_out_still_under_way_is_reported_as_one() -> None:
    autoscaler = Autoscaler(ScalingPolicy("mes", minimum=2, maximum=4, target=2.0))
    autoscaler.decide(now=0.0, current=2, metric_per_instance=4.0)  # wants 4, gets 3 first
    decision = autoscaler.decide(now=5.0, current=3, metric_per_instance=1.0)
    assert (decision.desired, decision.reason) == (4, "scale out")


def test_a_change_exactly_at_the_tolerance_is_no_change() -> None:
    policy = ScalingPolicy("mes", minimum=1, maximum=8, target=4, tolerance=0.25)
    assert recommend(policy, current=4, metric_per_instance=5) == 4  # 25 % over: within


def test_a_change_just_beyond_the_tolerance_scales() -> None:
    policy = ScalingPolicy("mes", minimum=1, maximum=8, target=4, tolerance=0.25)
    assert recommend(policy, current=4, metric_per_instance=5.1) == 6  # ceil(4 × 5.1 / 4)


def test_a_drop_just_beyond_the_tolerance_scales_in() -> None:
    policy = ScalingPolicy("mes", minimum=1, maximum=8, target=4, tolerance=0.25)
    assert recommend(policy, current=4, metric_per_instance=2.9) == 3  # ceil(4 × 2.9 / 4)


def test_a_target_below_one_per_instance_is_allowed() -> None:
    policy = ScalingPolicy("orders", minimum=1, maximum=4, target=0.5)
    assert recommend(policy, current=1, metric_per_instance=1) == 2


def test_a_policy_whose_minimum_is_its_maximum_keeps_that_many_instances() -> None:
    policy = ScalingPolicy("notify", minimum=1, maximum=1, target=1)
    assert recommend(policy, current=1, metric_per_instance=50) == 1


def test_a_recommendation_exactly_a_window_old_still_holds_the_instances() -> None:
    scaler = Autoscaler(MES)
    scaler.decide(now=0, current=2, metric_per_instance=0)
    decision = scaler.decide(now=30, current=2, metric_per_instance=0)
    assert (decision.desired, decision.reason) == (2, "hold (stabilising)")


def test_a_steady_load_is_a_hold_for_the_service_at_its_metric() -> None:
    scaler = Autoscaler(MES)
    decision = scaler.decide(now=0, current=3, metric_per_instance=8.5)
    assert decision == Decision("mes", current=3, desired=3, metric=8.5, reason="hold")


def test_a_scale_out_under_way_stops_once_the_load_is_on_target() -> None:
    autoscaler = Autoscaler(ScalingPolicy("mes", minimum=2, maximum=4, target=2.0))
    autoscaler.decide(now=0.0, current=2, metric_per_instance=4.0)  # wants 4, gets 3 first
    decision = autoscaler.decide(now=5.0, current=3, metric_per_instance=2.0)
    assert (decision.desired, decision.reason) == (3, "hold")
