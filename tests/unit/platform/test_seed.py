"""What `make up` says of the demo account's plan: the partners' contract names it."""

from fabrika.crm.accounts import load_plans
from fabrika.platform.seed import describe_plan


def test_the_demo_accounts_plan_is_printed_with_its_quotas() -> None:
    standard = next(plan for plan in load_plans() if plan.name == "standard")

    assert describe_plan(standard) == (
        "standard (writes 10/s burst 20, reads 50/s burst 100, quotes 2/s burst 5; "
        "5 quote jobs at once)"
    )
