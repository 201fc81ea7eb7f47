"""The notify service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.notify.api import router


def build() -> FastAPI:
    return create_app("notify", routers=[router])
