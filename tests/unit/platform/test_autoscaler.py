import pytest

from fabrika.platform.autoscaler import Autoscaler, ScalingPolicy, recommend

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


@pytest.mark.parametrize(("minimum", "maximum", "target"), [(0, 2, 1), (3, 2, 1), (1, 2, 0)])
def test_an_impossible_policy_is_refused(minimum: int, maximum: int, target: float) -> None:
    with pytest.raises(ValueError):
        ScalingPolicy("x", minimum=minimum, maximum=maximum, target=target)


def test_a_scale_out_still_under_way_is_reported_as_one() -> None:
    autoscaler = Autoscaler(ScalingPolicy("mes", minimum=2, maximum=4, target=2.0))
    autoscaler.decide(now=0.0, current=2, metric_per_instance=4.0)  # wants 4, gets 3 first
    decision = autoscaler.decide(now=5.0, current=3, metric_per_instance=1.0)
    assert (decision.desired, decision.reason) == (4, "scale out")
