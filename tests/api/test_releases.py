from tests.support.api import BLOBS


async def test_create_get_by_hash_list_retrieve(api):
    status, release = await api.call(
        "POST", "releases/", json={"hash_id": "abc123", "version": 42, "project": "web", "metadata": {"git": {"sha": "x"}}}
    )
    assert status == 201
    assert release["hash_id"] == "abc123" and release["version"] == "42" and release["team_id"] == api.project_id
    assert release["metadata"] == {"git": {"sha": "x"}}
    status, found = await api.call("GET", "releases/hash/abc123/")
    assert (status, found) == (200, release)
    assert (await api.call("GET", f"releases/{release['id']}/")) == (200, release)
    status, page = await api.call("GET", "releases/")
    assert page["count"] == 1 and page["results"] == [release]
    assert (await api.call("GET", "releases/hash/unknown/"))[0] == 404


async def test_hash_defaults_to_id_and_must_be_unique(api):
    _, release = await api.call("POST", "releases/", json={"version": "1", "project": "web"})
    assert release["hash_id"] == release["id"]
    status, body = await api.call("POST", "releases/", json={"version": "2", "project": "web", "hash_id": release["id"]})
    assert (status, body["code"], body["attr"]) == (400, "hash_id_in_use", "hash_id")
    for bad, attr in [({"project": "web"}, "version"), ({"version": "1"}, "project"),
                      ({"version": "1", "project": "w", "hash_id": "h" * 129}, "hash_id"),
                      ({"version": "1", "project": "w", "metadata": [1]}, "metadata")]:
        status, body = await api.call("POST", "releases/", json=bad)
        assert (status, body["attr"]) == (400, attr), bad


async def test_releases_are_per_project(api):
    other = await api.new_project()
    other_key = await api.new_key(projects=[other])
    _, theirs = await api.call("POST", "releases/", json={"version": "1", "project": "w", "hash_id": "h"},
                               key=other_key, project=other)
    assert (await api.call("GET", "releases/hash/h/"))[0] == 404
    assert (await api.call("GET", f"releases/{theirs['id']}/"))[0] == 404
    status, body = await api.upload("a", BLOBS["raw_json"], release_id=theirs["id"])
    assert (status, body["code"]) == (400, "invalid_release_id")
    _, ours = await api.call("POST", "releases/", json={"version": "1", "project": "w", "hash_id": "h"})
    status, body = await api.upload("a", BLOBS["raw_json"], release_id=ours["id"])
    assert status == 201
    _, item = await api.call("GET", f"symbol_sets/{body['symbol_set_id']}/")
    assert item["release"] == ours
