"""Upload injected script/map pairs as symbol sets, over the API (``client.py``).

Per batch of pairs: build one PostHog v2 zstd container per pair (``container.pack``),
hash it (SHA-512 hex), ``bulk_start_upload``; the sets missing from the answer's
``id_map`` are unchanged on the server and skipped. The others are POSTed to their
presigned URLs concurrently, then ``bulk_finish_upload`` records the ones that arrived.
A set whose POST failed is never finished, so the server keeps nothing half-recorded
for it and the next run uploads it again.

Failures that concern the whole run (host, key, project) raise; failures of a set or a
batch are counted in the summary and the run goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..symbol_sets import container
from . import inject
from .client import (
    AuthenticationFailed,
    ClientError,
    ConnectionFailed,
    MissingScope,
    NotOurApi,
    ProjectNotFound,
    SymbolsClient,
)

# Errors that no other set of this run would escape: stop at once.
FATAL = (AuthenticationFailed, MissingScope, ProjectNotFound, ConnectionFailed, NotOurApi)


class NothingToUpload(ClientError):
    """No injected pair under the directory."""


class Progress(Protocol):
    def begin(self, files: int, size: int) -> None: ...
    def advance(self, files: int, size: int) -> None: ...
    def end(self) -> None: ...


class _NoProgress:
    def begin(self, files: int, size: int) -> None:
        pass

    def advance(self, files: int, size: int) -> None:
        pass

    def end(self) -> None:
        pass


@dataclass
class Failure:
    script: Path
    chunk_id: str
    reason: str


@dataclass
class UploadSummary:
    uploaded: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    # A set the service refused or did not get, and a script or map that could not be
    # read as a pair (an invalid map): each one is a failure of the run.
    failed: list[Failure] = field(default_factory=list)
    # Scripts with a map that is not injected yet.
    not_injected: list[Path] = field(default_factory=list)
    # Injected scripts whose maps are gone: uploaded and deleted by an earlier run.
    already_deleted: list[Path] = field(default_factory=list)
    deleted_maps: list[Path] = field(default_factory=list)
    release_id: str | None = None
    # Scripts and maps on disk of every pair handled: the progress bar's total.
    total_bytes: int = 0
    # Containers actually sent (compressed).
    uploaded_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Item:
    pair: inject.Pair
    disk_size: int
    data: bytes = b""
    content_hash: str = ""
    url: str | None = None


def _build(pair: inject.Pair) -> _Item:
    script = pair.script.read_bytes()
    source_map = pair.map.read_bytes()
    data = container.pack(source_map, script)
    return _Item(pair, len(script) + len(source_map), data, hashlib.sha512(data).hexdigest())


def script_url(url_prefix: str, relative: str) -> str:
    """Where a script is served: ``url_prefix`` (sentry-cli's convention: ``~`` is any
    scheme and host) joined to its path relative to the uploaded directory."""
    prefix = url_prefix.rstrip("/")
    if prefix == "~" or prefix.startswith("~/") or "://" in prefix:
        return f"{prefix}/{relative}"
    return f"~/{prefix.lstrip('/')}/{relative}" if prefix else f"~/{relative}"


def _disk_size(pair: inject.Pair) -> int:
    return pair.script.stat().st_size + pair.map.stat().st_size


def injected_pairs(directory: Path, ignore: Sequence[str] = ()) -> tuple[list[inject.Pair], UploadSummary]:
    """The injected pairs under ``directory`` and a summary holding what cannot be uploaded.
    Raises NothingToUpload when no pair is injected and no earlier run explains why."""
    scan = inject.scan(directory, ignore)
    summary = UploadSummary(already_deleted=[s.script for s in scan.skipped if s.chunk_id])
    summary.failed = [Failure(p.path, "", p.reason) for p in scan.problems]
    pairs = []
    for pair in scan.pairs:
        if pair.state is inject.PairState.INJECTED:
            # The texts were only needed to classify; the upload reads the files again.
            pair.script_text, pair.map_doc = "", {}
            pairs.append(pair)
        else:
            summary.not_injected.append(pair.script)
    if not pairs and not summary.already_deleted and not summary.failed:
        found = f"{len(scan.pairs)} script/map pair(s), none injected" if scan.pairs else "no script/map pairs"
        raise NothingToUpload(
            f"nothing to upload in {directory}: {found}; "
            f"run `symbols sourcemap inject --directory {directory}` first"
        )
    summary.total_bytes = sum(_disk_size(p) for p in pairs)
    return pairs, summary


def dry_run(directory: Path, ignore: Sequence[str] = ()) -> tuple[list[tuple[inject.Pair, int]], UploadSummary]:
    """What an upload would send, without the service: each pair with its container's size."""
    pairs, summary = injected_pairs(directory, ignore)
    return [(pair, len(_build(pair).data)) for pair in pairs], summary


async def upload_directory(
    client: SymbolsClient,
    directory: Path,
    *,
    release: tuple[str, str] | None = None,
    concurrency: int = 8,
    batch_size: int = 50,
    delete_after: bool = False,
    progress: Progress | None = None,
    ignore: Sequence[str] = (),
    release_metadata: dict | None = None,
    url_prefix: str | None = "~",
) -> UploadSummary:
    progress = progress or _NoProgress()
    pairs, summary = injected_pairs(directory, ignore)
    if not pairs:
        return summary

    await client.check_access()
    release_id = None
    if release is not None:
        release_id = str((await client.ensure_release(*release, metadata=release_metadata))["id"])
        summary.release_id = release_id

    progress.begin(len(pairs), summary.total_bytes)
    seen: dict[str, tuple[str, Path]] = {}
    loop = asyncio.get_running_loop()
    semaphore = asyncio.Semaphore(max(1, concurrency))
    try:
        for start in range(0, len(pairs), max(1, batch_size)):
            batch = pairs[start:start + batch_size]
            items = await asyncio.gather(*(loop.run_in_executor(None, _build, p) for p in batch))
            if url_prefix is not None:
                for item in items:
                    item.url = script_url(url_prefix, _relative(item.pair.script, Path(directory)))
            todo = _dedupe(items, seen, summary, progress, Path(directory))
            if todo:
                await _upload_batch(client, todo, release_id, semaphore, summary, progress)
    except FATAL as exc:
        exc.summary = summary  # what was done before the run stopped, for the report
        raise
    finally:
        progress.end()

    if delete_after:
        done = set(summary.uploaded) | set(summary.unchanged)
        for pair in pairs:
            if pair.script in done:
                try:
                    pair.map.unlink()
                    summary.deleted_maps.append(pair.map)
                except FileNotFoundError:
                    pass
    return summary


def _dedupe(items: list[_Item], seen: dict[str, tuple[str, Path]], summary: UploadSummary,
            progress: Progress, directory: Path) -> list[_Item]:
    """Items whose chunk id is new in this run. Two identical scripts share a content id:
    the same content is uploaded once; different content under one id is a failure."""
    todo = []
    for item in items:
        chunk_id = item.pair.chunk_id
        if chunk_id in seen:
            first_hash, first_script = seen[chunk_id]
            if first_hash == item.content_hash:
                summary.unchanged.append(item.pair.script)
                progress.advance(1, item.disk_size)
            else:
                _fail([item], f"chunk id {chunk_id} is also used by {_relative(first_script, directory)} "
                      "with different content", summary, progress)
            continue
        seen[chunk_id] = (item.content_hash, item.pair.script)
        todo.append(item)
    return todo


def _fail(items: list[_Item], reason: str, summary: UploadSummary, progress: Progress) -> None:
    """Record ``items`` as failed for ``reason``; they are done as far as progress goes."""
    for item in items:
        summary.failed.append(Failure(item.pair.script, item.pair.chunk_id, reason))
        progress.advance(1, item.disk_size)


def _relative(path: Path, directory: Path) -> str:
    try:
        return path.relative_to(directory).as_posix()
    except ValueError:
        return str(path)


async def _upload_batch(client: SymbolsClient, items: list[_Item], release_id: str | None,
                        semaphore: asyncio.Semaphore, summary: UploadSummary,
                        progress: Progress) -> None:
    request = []
    for item in items:
        entry = {"chunk_id": item.pair.chunk_id, "content_hash": item.content_hash}
        if release_id is not None:
            entry["release_id"] = release_id
        if item.url is not None:
            entry["url"] = item.url
        request.append(entry)
    try:
        targets = await client.bulk_start_upload(request)
    except FATAL:
        raise
    except ClientError as exc:
        _fail(items, f"start upload: {exc}", summary, progress)
        return

    async def post(item: _Item) -> tuple[_Item, str | None]:
        target = targets[item.pair.chunk_id]
        async with semaphore:
            try:
                await client.upload_presigned(target.presigned, item.data, filename=item.pair.chunk_id)
            except ClientError as exc:
                return item, str(exc)
        return item, None

    posted = []
    for item in items:
        if item.pair.chunk_id not in targets:
            summary.unchanged.append(item.pair.script)
            progress.advance(1, item.disk_size)
        else:
            posted.append(item)
    finished: dict[str, str] = {}
    arrived: list[_Item] = []
    for coro in asyncio.as_completed([post(i) for i in posted]):
        item, error = await coro
        if error is None:
            finished[targets[item.pair.chunk_id].symbol_set_id] = item.content_hash
            arrived.append(item)
        else:
            _fail([item], error, summary, progress)
    if not finished:
        return
    try:
        await client.bulk_finish_upload(finished)
    except FATAL:
        raise
    except ClientError as exc:
        _fail(arrived, f"finish upload: {exc}", summary, progress)
        return
    for item in arrived:
        summary.uploaded.append(item.pair.script)
        summary.uploaded_bytes += len(item.data)
        progress.advance(1, item.disk_size)


__all__ = [
    "Failure", "NothingToUpload", "Progress", "UploadSummary", "dry_run", "injected_pairs", "script_url",
    "upload_directory",
]
