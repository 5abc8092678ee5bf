"""The HTTP layer: parse requests, call the db and storage layers, shape responses."""

from .context import CONTEXT, AppContext
from .routes import setup_routes

__all__ = ["CONTEXT", "AppContext", "setup_routes"]
