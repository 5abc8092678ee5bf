"""Background jobs: the handlers and the worker loop (the queue is ``symbols.db.queue``).

    from symbols.workers import Deps, Worker
    await Worker(Deps(db, store, IndexBuilder(1)), concurrency=2).run()

Imports the domain, never ``symbols.api``; ``symbols.app`` builds what it needs.
"""

from .handlers import HANDLERS, Deps, Retry, process_symbol_set
from .worker import Worker

__all__ = ["HANDLERS", "Deps", "Retry", "Worker", "process_symbol_set"]
