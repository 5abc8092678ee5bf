"""A real worker process whose process_symbol_set first announces the job on stdout and
then stalls, so a test can kill it mid-job. Settings come from the environment, as for
``symbols worker``. Run: python tests/workers/slow_worker.py [STALL_SECONDS]"""

from __future__ import annotations

import asyncio
import signal
import sys

from symbols.config import Settings
from symbols.db import open_database
from symbols.storage import open_blob_store
from symbols.symbol_sets.pool import IndexBuilder
from symbols.workers import Deps, process_symbol_set
from symbols.workers.worker import worker_from_settings

STALL = float(sys.argv[1]) if len(sys.argv) > 1 else 3600.0


async def stalling(deps, job):
    print(f"started {job.id}", flush=True)
    await asyncio.sleep(STALL)
    await process_symbol_set(deps, job)


async def main() -> None:
    settings = Settings.from_env()
    db = open_database(settings.database_url)
    deps = Deps(db, open_blob_store(settings), IndexBuilder(0))
    worker = worker_from_settings(settings, deps, handlers={"process_symbol_set": stalling})
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.stop)
    await worker.run()
    print("stopped", flush=True)
    await db.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
