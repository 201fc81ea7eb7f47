"""The CRM service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.crm.accounts_api import router as accounts_router
from fabrika.crm.api import router


def build() -> FastAPI:
    return create_app("crm", routers=[router, accounts_router])
