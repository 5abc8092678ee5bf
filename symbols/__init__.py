"""symbols: a self-hostable service for JavaScript source maps (symbol sets)."""

__version__ = "0.1.0"
