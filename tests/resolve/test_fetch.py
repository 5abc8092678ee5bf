"""Fetching a script and its map: the SSRF guard's decisions (an injected resolver: no
traffic at all) and the fetch path against a local server on 127.0.0.1, reachable only
through the test-only ``allowed_networks``."""

from __future__ import annotations

import base64

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from symbols.resolve.fetch import FetchFailed, FetchPolicy, fetch_script_and_map
from symbols.resolve.ssrf import AddressRefused, GuardedResolver, public_address

REFUSED = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fd00::1",
    "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1", "64:ff9b::a00:1",
    "2002:7f00:1::", "2002:a9fe:a9fe::", "not an address",
]
ALLOWED = ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_the_guard_refuses_addresses_that_are_not_public(address):
    assert public_address(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_the_guard_allows_public_addresses(address):
    assert public_address(address) is True


def lookup_of(table: dict[str, list[str]]):
    async def lookup(host: str, port: int) -> list[str]:
        return table[host]
    return lookup


async def test_the_resolver_keeps_only_public_addresses_and_refuses_hosts_with_none():
    guarded = GuardedResolver(lookup_of({
        "mixed.example": ["10.0.0.1", "93.184.216.34", "::ffff:127.0.0.1"],
        "rebind.example": ["169.254.169.254", "::1"],
    }))
    answer = await guarded.resolve("mixed.example", 443)
    assert [a["host"] for a in answer] == ["93.184.216.34"]
    with pytest.raises(AddressRefused, match="rebind.example resolves to no public address"):
        await guarded.resolve("rebind.example", 443)


SCRIPT = b"function i(){throw new Error('x')}\n//# sourceMappingURL=app.js.map\n"
MAP = b'{"version":3,"sources":["src/app.js"],"names":[],"mappings":"AAAA"}'


@pytest.fixture
async def origin():
    """A script server: /assets/app.js (its map beside it), redirects, headers, auth."""
    seen: list[dict] = []

    async def script(request):
        seen.append(dict(request.headers))
        return web.Response(body=SCRIPT)

    async def source_map(request):
        return web.Response(body=MAP)

    async def header(request):
        return web.Response(body=b"var a=1;", headers={"SourceMap": "/maps/app.js.map"})

    async def inline(request):
        data = base64.b64encode(MAP).decode()
        return web.Response(body=f"var a=1;\n//# sourceMappingURL=data:application/json;base64,{data}\n".encode())

    async def redirect(request):
        raise web.HTTPFound(request.query["to"])

    async def loop(request):
        raise web.HTTPFound("/loop")

    async def big(request):
        return web.Response(body=b"x" * 5000)

    app = web.Application()
    app.router.add_get("/assets/app.js", script)
    app.router.add_get("/assets/app.js.map", source_map)
    app.router.add_get("/maps/app.js.map", source_map)
    app.router.add_get("/header.js", header)
    app.router.add_get("/inline.js", inline)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/big.js", big)
    app.router.add_get("/loop", loop)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    server.seen = seen
    yield server
    await server.close()


def policy(**changes) -> FetchPolicy:
    base = {"allowed_domains": ("shop.test",), "allowed_networks": ("127.0.0.1/32",),
            "lookup": lookup_of({"shop.test": ["127.0.0.1"], "cdn.shop.test": ["127.0.0.1"],
                                 "evil.test": ["127.0.0.1"]})}
    return FetchPolicy(**(base | changes))


async def test_fetches_the_script_and_follows_its_map(origin):
    base = f"http://cdn.shop.test:{origin.port}"
    fetched = await fetch_script_and_map(f"{base}/assets/app.js",
                                         policy(auth_header=("Authorization", "Bearer s3cret")))
    assert (fetched.script, fetched.source_map, fetched.map_url) == (SCRIPT, MAP, f"{base}/assets/app.js.map")
    assert origin.seen[-1]["Authorization"] == "Bearer s3cret"
    by_header = await fetch_script_and_map(f"{base}/header.js", policy())
    assert (by_header.map_url, by_header.source_map) == (f"{base}/maps/app.js.map", MAP)
    inline = await fetch_script_and_map(f"{base}/inline.js", policy())
    assert (inline.map_url, inline.source_map) == ("data:", MAP)


async def test_refusals_say_why(origin):
    port = origin.port
    cases = {
        f"http://evil.test:{port}/assets/app.js": "evil.test is not among the project's allowed domains",
        f"http://shop.test:{port}/redirect?to=http://evil.test:{port}/assets/app.js":
            "evil.test is not among the project's allowed domains",
        "ftp://shop.test/app.js": "is not an http(s) URL",
        f"http://shop.test:{port}/big.js": "is larger than 1000 bytes",
        f"http://shop.test:{port}/missing.js": "answered HTTP 404",
    }
    for url, reason in cases.items():
        with pytest.raises(FetchFailed, match=reason.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            await fetch_script_and_map(url, policy(max_bytes=1000))
    # Without the test-only network, the local server is not public: refused after DNS.
    with pytest.raises(FetchFailed, match="shop.test resolves to no public address"):
        await fetch_script_and_map(f"http://shop.test:{port}/assets/app.js", policy(allowed_networks=()))
    # An address literal is checked too (aiohttp does not resolve it).
    with pytest.raises(FetchFailed, match="169.254.169.254 is not a public address"):
        await fetch_script_and_map("http://169.254.169.254/latest/meta-data/",
                                   policy(allowed_domains=("169.254.169.254",)))
    # Redirect loops stop.
    with pytest.raises(FetchFailed, match="more than 2 redirects"):
        await fetch_script_and_map(f"http://shop.test:{port}/loop", policy(max_redirects=2))
