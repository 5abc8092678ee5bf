"""Background jobs: the queue on the metadata database, the handlers, the worker loop.

    from workers import Deps, Worker
    await Worker(Deps(db, store, IndexBuilder(1)), concurrency=2).run()
"""

from .handlers import HANDLERS, Deps, Retry, process_symbol_set
from .worker import Worker

__all__ = ["HANDLERS", "Deps", "Retry", "Worker", "process_symbol_set"]
