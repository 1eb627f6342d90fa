#!/usr/bin/env python3
"""Writes a STIX 2.1 bundle of N indicators (TLP:GREEN) for `clearinghouse intel import` at scale.
usage: make_bundle.py N OUT.json"""
import json
import sys
import uuid

n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write('{"type":"bundle","id":"bundle--%s","objects":[' % uuid.uuid4())
    for i in range(n):
        if i:
            f.write(",")
        f.write(json.dumps({
            "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": f"scale indicator {i}",
            "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        }))
    f.write("]}")
