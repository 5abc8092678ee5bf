"""``/metrics`` and ``/healthz`` of a standalone worker process
(``symbols worker --metrics-port PORT``).

``/healthz`` is 200 while the worker loop runs and has polled the queue within 3 poll
intervals (or is busy with a job), else 503, with the details as JSON. ``/metrics`` is
the worker's own registry: its job runs, index builds, and the queue's jobs by state.
"""

from __future__ import annotations

from aiohttp import web

from ..metrics import Metrics, metrics_response
from .worker import Worker

_WORKER = web.AppKey("worker", Worker)
_METRICS = web.AppKey("metrics", Metrics)


async def healthz(request: web.Request) -> web.Response:
    health = request.app[_WORKER].health()
    return web.json_response(health.as_dict(), status=200 if health.ok else 503)


async def metrics(request: web.Request) -> web.Response:
    return await metrics_response(request.app[_METRICS])


def ops_app(worker: Worker, metrics_: Metrics) -> web.Application:
    app = web.Application()
    app[_WORKER] = worker
    app[_METRICS] = metrics_
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_ops_server(worker: Worker, metrics_: Metrics, host: str, port: int) -> web.AppRunner:
    """Serve ``ops_app`` on host:port; ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(ops_app(worker, metrics_), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


__all__ = ["ops_app", "start_ops_server"]
