"""The application as uvicorn's worker processes build it: from the environment's settings, in each process."""

from __future__ import annotations

from fastapi import FastAPI

from checkout_engine.api.app import create_app
from checkout_engine.observability.logging import configure
from checkout_engine.settings import get_settings


def app_from_environment() -> FastAPI:
    configure(json=True)
    return create_app(get_settings())
