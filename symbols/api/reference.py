"""The API reference: the OpenAPI document at ``/api/schema/`` (YAML by default, as
PostHog; ``?format=json``) and a page to read it at ``/api/schema/docs/``, rendered by the
vendored Redoc bundle this service serves itself (no network needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import orjson
import yaml
from aiohttp import web
from pydantic import BaseModel

from .context import context
from .openapi import build_document
from .operation import Input, Media, operation

SCHEMA_PATH = "/api/schema/"
DOCS_PATH = "/api/schema/docs/"
REDOC_PATH = "/api/schema/docs/redoc.standalone.js"
_REDOC = Path(__file__).parent / "static" / "redoc.standalone.js"
# Filled on first use, once every route is registered.
DOCUMENT = web.AppKey("openapi_document", dict)
_YAML = "application/vnd.oai.openapi"
_JSON = "application/vnd.oai.openapi+json"
_TAGS = ("schema",)
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>symbols API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>body{margin:0}</style></head>
<body><redoc spec-url="%s?format=json"></redoc><script src="%s"></script></body></html>
"""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # shared sub-schemas are written out each time
        return True


class SchemaQuery(BaseModel):
    format: Literal["yaml", "json"] = "yaml"


def document(request: web.Request) -> dict:
    """The document of this application (built once), with this server's URL."""
    cache = request.app[DOCUMENT]
    if not cache:
        cache.update(build_document(request.app))
    return {**cache, "servers": [{"url": context(request).base_url(request)}]}


@operation(
    "This OpenAPI 3.1 document", scope=None, query=SchemaQuery, tags=_TAGS,
    responses={200: [Media(_YAML, {"type": "string"}), Media(_JSON, {"type": "object"})]},
    errors={400: ("invalid_host",)},
)
async def schema(request: web.Request, inp: Input[None, SchemaQuery, None]) -> web.Response:
    doc = document(request)
    if inp.query.format == "json":
        return web.Response(body=orjson.dumps(doc), content_type=_JSON)
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return web.Response(text=text, content_type=_YAML)


@operation("The API reference page", scope=None, tags=_TAGS, responses={200: Media("text/html", {"type": "string"})})
async def docs(request: web.Request, inp: Input) -> web.Response:
    return web.Response(text=_PAGE % (SCHEMA_PATH, REDOC_PATH), content_type="text/html")


@operation(
    "The reference page's script (Redoc, MIT licence)", scope=None, tags=_TAGS,
    responses={200: Media("application/javascript", {"type": "string"})},
)
async def redoc(request: web.Request, inp: Input) -> web.FileResponse:
    return web.FileResponse(_REDOC, headers={"Cache-Control": "public, max-age=86400"})
