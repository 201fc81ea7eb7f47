"""The notify service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.notify.api import router
from fabrika.notify.sender import start_sender, stop_sender


def build() -> FastAPI:
    return create_app("notify", routers=[router], on_startup=start_sender, on_shutdown=stop_sender)
