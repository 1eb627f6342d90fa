#!/usr/bin/env python3
"""Writes a STIX 2.1 bundle of N indicators (TLP:GREEN) for `clearinghouse intel import` at scale.
Identifiers are derived from the index (`object_id(i)`), so a benchmark can look objects up
without reading the file back.
usage: make_bundle.py N OUT.json"""
import hashlib
import json
import sys
import uuid


def object_id(i: int) -> str:
    return f"indicator--{uuid.UUID(bytes=hashlib.md5(b'taxii-bench:%d' % i).digest(), version=4)}"


def write(n: int, out: str) -> None:
    with open(out, "w") as f:
        f.write('{"type":"bundle","id":"bundle--%s","objects":[' % uuid.uuid4())
        for i in range(n):
            if i:
                f.write(",")
            f.write(json.dumps({
                "type": "indicator", "spec_version": "2.1", "id": object_id(i),
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": f"scale indicator {i}",
                "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']", "pattern_type": "stix",
                "valid_from": "2024-01-01T00:00:00Z",
                "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
            }))
        f.write("]}")


if __name__ == "__main__":
    write(int(sys.argv[1]), sys.argv[2])
