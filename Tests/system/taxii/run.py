#!/usr/bin/env python3
"""Interop: real TAXII/STIX clients (PyPI taxii2-client and stix2) against a live Clearinghouse.

Starts `clearinghouse serve` on a free port with a temporary data folder, creates organisations,
users, API tokens and collections with the admin CLI, then drives the server only through the
clients: discovery, API root, collections, add_objects with wait_for_completion, as_pages
pagination, get_object, versions, manifest, and stix2's TAXIICollectionStore add/get/query.
Also checks TLP per reader and that hostile requests get TAXII error resources.

Prints one `PASS name` / `FAIL name: reason` line per test; exits 1 if any failed.
Environment: CLEARINGHOUSE_BIN (default .build/debug/clearinghouse).
Needs: pip install -r Tests/system/taxii/requirements.txt (in a venv).
"""

from __future__ import annotations

import sys
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import harness  # noqa: E402
from harness import check  # noqa: E402

import requests  # noqa: E402
import stix2  # noqa: E402
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages  # noqa: E402

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TAXII = "application/taxii+json;version=2.1"


def indicator(n: int, marking: str | None, modified: str = "2024-01-01T00:00:00.000Z", recipients=None) -> dict:
    o = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, str(n))}",
        "created": "2024-01-01T00:00:00.000Z", "modified": modified, "name": f"interop indicator {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    if marking:
        o["object_marking_refs"] = [marking]
    if recipients:
        o["x_clearinghouse_recipients"] = recipients
    return o


class World:
    def __init__(self):
        self.server = harness.Server(name="taxii").start()
        s = self.server
        s.cli("admin", "org", "create", "--name", "Amber Utility", "--kind", "defender")
        s.cli("admin", "org", "create", "--name", "Green Bank", "--kind", "defender")
        s.cli("admin", "user", "create", "--name", "analyst", "--org", "Amber Utility", "--role", "member",
              input="analyst password 1\n")
        s.cli("admin", "user", "create", "--name", "teller", "--org", "Green Bank", "--role", "member",
              input="teller password 1\n")
        self.analyst = s.mint_token("analyst")
        self.teller = s.mint_token("teller")
        self.cid = s.cli("intel", "collection", "create", "--title", "Interop", "--read", "Amber Utility=amber",
                         "--write", "Amber Utility", "--read", "Green Bank=green").stdout.strip().splitlines()[-1]
        self.store_cid = s.cli("intel", "collection", "create", "--title", "Store", "--default-tlp", "green",
                               "--read", "Amber Utility=amber", "--write", "Amber Utility").stdout.strip().splitlines()[-1]
        self.root = f"{s.base_url}/taxii2/default/"
        self.url = f"{self.root}collections/{self.cid}/"

    def collection(self, user="analyst", cid=None) -> Collection:
        token = self.analyst if user == "analyst" else self.teller
        return Collection(f"{self.root}collections/{cid or self.cid}/", user=user, password=token)


def test_discovery(w: World):
    server = Server(f"{w.server.base_url}/taxii2/", user="analyst", password=w.analyst)
    check(server.default is not None and server.default.url == w.root, f"default API root: {server.default and server.default.url}")
    check([r.url for r in server.api_roots] == [w.root], f"api_roots {[r.url for r in server.api_roots]}")


def test_api_root(w: World):
    root = ApiRoot(w.root, user="analyst", password=w.analyst)
    check(root.title, "API root has a title")
    check(TAXII in root.versions, f"versions {root.versions}")
    check(root.max_content_length >= 1_000_000, f"max_content_length {root.max_content_length}")


def test_collections(w: World):
    root = ApiRoot(w.root, user="teller", password=w.teller)
    found = {c.id: c for c in root.collections}
    check(w.cid in found, "the green reader sees the collection it was granted")
    check(w.store_cid not in found, "a collection without a grant does not exist for the reader")
    check(found[w.cid].can_read and not found[w.cid].can_write, "can_read yes, can_write no for the green reader")
    c = w.collection()
    check(c.can_read and c.can_write, "the amber writer may read and write")


def test_add_objects(w: World):
    objs = [indicator(n, TLP_GREEN if n % 3 == 0 else TLP_AMBER if n % 3 == 1 else None) for n in range(120)]
    objs.append(indicator(500, TLP_RED, recipients=["teller"]))
    objs.append({"type": "indicator", "id": "indicator--not-a-uuid"})
    status = w.collection().add_objects({"objects": objs}, wait_for_completion=True)
    check(status.status == "complete", f"status {status.status}")
    check(status.total_count == 122 and status.success_count == 121 and status.failure_count == 1,
          f"counts {status.total_count}/{status.success_count}/{status.failure_count}")
    check(status.failures[0]["id"] == "indicator--not-a-uuid" and status.failures[0].get("message"),
          f"failure detail {status.failures}")
    again = w.collection().add_objects({"objects": objs[:5]}, wait_for_completion=True)
    check(again.success_count == 5 and again.failure_count == 0, "re-posting identical versions is not an error")


def pages(c: Collection, per: int, **filters):
    seen, sizes = [], []
    for envelope in as_pages(c.get_objects, per_request=per, **filters):
        objects = envelope.get("objects", [])
        sizes.append(len(objects))
        seen += [o["id"] for o in objects]
    return seen, sizes


def test_as_pages(w: World):
    seen, sizes = pages(w.collection(), 17)
    check(len(seen) == 120 and len(set(seen)) == 120, f"amber reader pages: {len(seen)} objects, {len(set(seen))} distinct")
    check(all(n == 17 for n in sizes[:-1]), f"full pages except the last: {sizes}")
    typed, _ = pages(w.collection(), 50, type="indicator")
    check(len(typed) == 120, f"match[type] through as_pages: {len(typed)}")


def test_tlp_per_reader(w: World):
    seen, sizes = pages(w.collection("teller"), 7)
    green = {indicator(n, None)["id"] for n in range(120) if n % 3 == 0}
    red = indicator(500, None)["id"]
    check(set(seen) == green | {red}, f"green reader got {len(seen)} objects; expected the {len(green)} green ones and its RED one")
    check(all(n == 7 for n in sizes[:-1]), f"no page cut short by a hidden object: {sizes}")
    amber_seen, _ = pages(w.collection(), 100)
    check(red not in amber_seen, "a TLP:RED object reaches only its named recipients")


def test_get_object_and_versions(w: World):
    c = w.collection()
    base = indicator(1, TLP_AMBER)
    newer = dict(base, modified="2024-06-01T00:00:00.000Z", name="revised")
    c.add_objects({"objects": [newer]}, wait_for_completion=True)
    got = c.get_object(base["id"])
    check([o["modified"] for o in got["objects"]] == ["2024-06-01T00:00:00.000Z"], f"latest version by default: {got}")
    allv = c.get_object(base["id"], version="all")
    check(len(allv["objects"]) == 2, "match[version]=all returns both versions")
    versions = c.object_versions(base["id"])
    check(versions["versions"] == ["2024-01-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"], f"versions {versions}")


def test_manifest(w: World):
    m = w.collection().get_manifest(type="indicator", limit=10)
    check(len(m["objects"]) == 10 and m["more"] is True and m.get("next"), "manifest page with more/next")
    record = m["objects"][0]
    check(record["media_type"] == "application/stix+json;version=2.1" and record["date_added"] and record["version"],
          f"manifest record {record}")


def test_stix2_store(w: World):
    store = stix2.TAXIICollectionStore(w.collection(cid=w.store_cid), allow_custom=True)
    ind = stix2.Indicator(name="store indicator", pattern="[domain-name:value = 'example.org']", pattern_type="stix",
                          valid_from="2024-01-01T00:00:00Z")
    store.add(ind)
    got = store.get(ind.id)
    check(got is not None and got.id == ind.id and got.name == "store indicator", f"get returned {got}")
    found = store.query([stix2.Filter("type", "=", "indicator")])
    check(any(o.id == ind.id for o in found), f"query found {len(found)} objects")


def test_errors_are_taxii_resources(w: World):
    auth = ("analyst", w.analyst)
    cases = [
        ("missing credentials", "get", w.url + "objects/", {}, None, None, 401),
        ("bad added_after", "get", w.url + "objects/?added_after=yesterday", {}, auth, None, 400),
        ("forged next", "get", w.url + "objects/?next=AQAAAAAAAAAAAAAAAAAAAAAAAAAA", {}, auth, None, 400),
        ("wrong Accept", "get", w.url + "objects/", {"Accept": "text/html"}, auth, None, 406),
        ("wrong Content-Type", "post", w.url + "objects/", {"Content-Type": "text/plain"}, auth, b"{}", 415),
        ("malformed JSON", "post", w.url + "objects/", {"Content-Type": TAXII}, auth, b'{"objects": [', 400),
        ("unknown collection", "get", w.root + "collections/00000000-0000-0000-0000-000000000000/", {}, auth, None, 404),
        ("oversized body", "post", w.url + "objects/", {"Content-Type": TAXII}, auth, b" " * (11 * 1024 * 1024), 413),
    ]
    for name, method, url, headers, a, body, want in cases:
        r = requests.request(method, url, headers=headers, auth=a, data=body, timeout=30)
        check(r.status_code == want, f"{name}: {r.status_code} (wanted {want})")
        check(r.headers.get("Content-Type", "").startswith("application/taxii+json"), f"{name}: Content-Type {r.headers.get('Content-Type')}")
        check(r.json().get("http_status") == str(want), f"{name}: body {r.text[:200]}")
    r = requests.get(w.url + "objects/", auth=auth, params={"limit": "9" * 40})
    check(r.status_code == 200, f"a huge limit is clamped, not an error: {r.status_code}")


def test_two_servers_on_postgres(_w: World):
    """Objects posted to one process are served by another on the same PostgreSQL database, and a
    `next` cursor from one continues on the other."""
    with harness.postgres_schema() as url:
        env = {"CLEARINGHOUSE_SECRET_KEY": harness.secret_key()}
        a = harness.Server(data_dir=harness.temp_dir(), database=url, env=env, name="taxii-a").start()
        b = harness.Server(data_dir=harness.temp_dir(), database=url, env=env, name="taxii-b").start()
        a.cli("admin", "org", "create", "--name", "Shared", "--kind", "defender")
        a.cli("admin", "user", "create", "--name", "sharer", "--org", "Shared", "--role", "member", input="sharer password 1\n")
        token = a.mint_token("sharer")
        cid = a.cli("intel", "collection", "create", "--title", "Cluster", "--read", "Shared=amber",
                    "--write", "Shared").stdout.strip().splitlines()[-1]
        ca = Collection(f"{a.base_url}/taxii2/default/collections/{cid}/", user="sharer", password=token)
        cb = Collection(f"{b.base_url}/taxii2/default/collections/{cid}/", user="sharer", password=token)
        objs = [indicator(1000 + n, TLP_GREEN) for n in range(25)]
        status = ca.add_objects({"objects": objs}, wait_for_completion=True)
        check(status.success_count == 25, f"posted to A: {status.success_count}")
        first = ca.get_objects(limit=10)
        check(first["more"] and first.get("next"), "A gives a first page with a next cursor")
        seen = [o["id"] for o in first["objects"]]
        cursor = first["next"]
        while cursor:
            page = cb.get_objects(limit=10, next=cursor)
            seen += [o["id"] for o in page["objects"]]
            cursor = page.get("next") if page.get("more") else None
        check(sorted(seen) == sorted(o["id"] for o in objs), f"A's cursor continued on B: {len(seen)} objects, {len(set(seen))} distinct")
        a.stop()
        b.stop()


TESTS = [test_discovery, test_api_root, test_collections, test_add_objects, test_as_pages, test_tlp_per_reader,
         test_get_object_and_versions, test_manifest, test_stix2_store, test_errors_are_taxii_resources, test_two_servers_on_postgres]


def main() -> int:
    failed = 0
    try:
        world = World()
    except Exception as e:  # noqa: BLE001
        print(f"FAIL setup: {e}")
        harness.cleanup_all()
        return 1
    try:
        for test in TESTS:
            name = test.__name__.removeprefix("test_")
            try:
                test(world)
                print(f"PASS taxii.{name}", flush=True)
            except harness.Skip as e:
                print(f"SKIP taxii.{name}: {e}", flush=True)
            except Exception as e:  # noqa: BLE001
                failed += 1
                detail = str(e) or traceback.format_exc(limit=3)
                print(f"FAIL taxii.{name}: {detail}", flush=True)
    finally:
        harness.cleanup_all()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
