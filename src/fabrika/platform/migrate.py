"""Bringing every schema up to date: each service's own Alembic history, then DBOS."""

import asyncio

from alembic import command
from dbos import DBOS

from fabrika.core.executors import create_heartbeat_table
from fabrika.core.migrations import alembic_config
from fabrika.core.settings import Settings
from fabrika.mes.client import register_quote_queue
from fabrika.orders.client import register_order_queues

SERVICES_WITH_SCHEMAS = ("crm", "mes", "notify", "b2b")


def migrate_all(settings: Settings) -> None:
    """Migrate the service schemas, create DBOS's system tables and declare the saga queue."""
    for service in SERVICES_WITH_SCHEMAS:
        command.upgrade(alembic_config(service, settings), "head")
    DBOS.migrate(settings.dbos_url, schema="dbos")
    asyncio.run(create_heartbeat_table(settings.sqlalchemy_url))
    register_order_queues(settings)
    register_quote_queue(settings)
