"""The MES service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.mes.api import internal, public


def build() -> FastAPI:
    return create_app("mes", routers=[public, internal], uses_redis=True)
