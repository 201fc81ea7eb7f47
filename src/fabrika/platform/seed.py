"""Demo data for `fabrika up`: the demo catalog and a B2B account with a known key."""

from decimal import Decimal

from fabrika.contracts.accounts import Plan
from fabrika.core.db import create_engine, create_sessions
from fabrika.core.keys import new_api_key
from fabrika.core.settings import Settings
from fabrika.crm.accounts import get_account, load_plans, seed_demo_account, seed_plans
from fabrika.mes.catalog import DEMO_CATALOG_PATH, load_catalog
from fabrika.mes.catalog_store import seed_catalog

DEMO_ACCOUNT = {"name": "Demo Robotics GmbH", "email": "purchasing@demo-robotics.example"}
DEMO_PRICE_LIMIT = Decimal("5000.00")


def demo_b2b_key(settings: Settings) -> str:
    """FABRIKA_DEMO_B2B_KEY if set; otherwise one generated once and kept in the run dir."""
    if settings.demo_b2b_key:
        return settings.demo_b2b_key
    path = settings.run_dir / "demo_b2b_key"
    if not path.exists():
        settings.run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(new_api_key())
        path.chmod(0o600)
    return path.read_text().strip()


async def seed_demo_data(settings: Settings) -> dict[str, str]:
    """Load the demo catalog (if none), the plans the CRM lacks, and the demo account with
    its key (once). Safe to repeat."""
    engine = create_engine(settings.sqlalchemy_url, pool_size=2)
    key = demo_b2b_key(settings)
    try:
        async with create_sessions(engine)() as session, session.begin():
            version = await seed_catalog(session, load_catalog(DEMO_CATALOG_PATH))
            await seed_plans(session, load_plans())
            account_id = await seed_demo_account(
                session, api_key=key, price_limit=DEMO_PRICE_LIMIT, **DEMO_ACCOUNT
            )
            account = await get_account(session, account_id)
    finally:
        await engine.dispose()
    return {
        "b2b_key": key,
        "b2b_account": str(account_id),
        "b2b_plan": describe_plan(account.plan),
        "catalog_version": str(version),
    }


def describe_plan(plan: Plan) -> str:
    """`standard (writes 10/s burst 20, reads 50/s burst 100, …)`, as `make up` prints it."""
    quotas = ", ".join(
        f"{kind.value} {policy.rate_per_s:g}/s burst {policy.burst}"
        for kind, policy in plan.policies.items()
    )
    return f"{plan.name} ({quotas}; {plan.max_quote_jobs} quote jobs at once)"
