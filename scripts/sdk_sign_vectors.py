#!/usr/bin/env python3
"""Write tests/fixtures/sdk_signatures.json: requests signed by huaweicloudsdkcore.

Each vector holds the request as it goes on the wire (path, query, headers, body) and
the Authorization value the SDK's own signer produced, so the Rust verifier and signer
are checked against the reference implementation, not against themselves.

    pip install huaweicloudsdkcore && python3 scripts/sdk_sign_vectors.py
"""
import json
import pathlib

import importlib.metadata
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest

AK, SK, PID = "HPUAEXAMPLEACCESSKEY", "exampleSecretKey0123456789abcdefghijklmn", "0123456789abcdef0123456789abcdef"
HOST = "127.0.0.1:7788"
DATE = "20261122T101500Z"

CASES = [
    ("get without query", "GET", f"/v2/{PID}/datasets", [], None, {}),
    ("get with params out of order", "GET", f"/v2/{PID}/datasets",
     [("offset", "0"), ("limit", "10"), ("sort_by", "create_time"), ("order", "desc"), ("dataset_type", "0")], None, {}),
    ("repeated keys", "GET", f"/v2/{PID}/datasets", [("tag", "b"), ("tag", "a"), ("a", "1")], None, {}),
    ("empty value", "GET", f"/v2/{PID}/datasets", [("search_content", ""), ("limit", "5")], None, {}),
    ("values needing encoding", "GET", f"/v2/{PID}/datasets",
     [("search_content", "a b/c+d%e~f"), ("name", "éà ü")], None, {}),
    ("url-encoded json value", "GET", f"/v2/{PID}/datasets/abcdefghijklmnopqrs/data-annotations/samples",
     [("search_conditions", json.dumps([{"label_list": {"labels": [{"name": "Cat"}], "op": "OR"}}]))], None, {}),
    ("trailing slash", "GET", f"/v2/{PID}/datasets/", [], None, {}),
    ("segment needing encoding", "GET", f"/v2/{PID}/datasets/abcdefghijklmnopqrs/data-annotations/labels/Café au lait", [], None, {}),
    ("post json", "POST", f"/v2/{PID}/datasets", [],
     json.dumps({"dataset_name": "dataset-457f", "dataset_type": 0, "data_sources": [{"data_path": "/test-obs/in/"}],
                 "work_path": "/test-obs/out/", "work_path_type": 0}), {}),
    ("put json", "PUT", f"/v2/{PID}/datasets/abcdefghijklmnopqrs", [], json.dumps({"description": "just a test"}), {}),
    ("delete without body", "DELETE", f"/v2/{PID}/datasets/abcdefghijklmnopqrs", [], None, {}),
    ("post with empty body", "POST", f"/v2/{PID}/datasets/abcdefghijklmnopqrs/sync-data", [], "", {}),
    ("unicode body", "POST", f"/v2/{PID}/datasets", [], json.dumps({"description": "标注 données"}, ensure_ascii=False), {}),
    ("non-json content type is unsigned payload", "POST", f"/v2/{PID}/upload", [], "raw bytes here",
     {"Content-Type": "application/octet-stream"}),
]


def main() -> None:
    vectors = []
    for name, method, path, query, body, extra in CASES:
        headers = {"Content-Type": "application/json", "X-Sdk-Date": DATE}
        headers.update(extra)
        request = SdkRequest(method=method, schema="http", host=HOST, resource_path=path, query_params=list(query),
                             header_params=headers, body=body.encode("utf-8") if body is not None else None)
        signed = BasicCredentials(AK, SK, PID).sign_request(request)
        wire_path, _, wire_query = signed.uri.partition("?")
        vectors.append({
            "name": name,
            "method": method,
            "path": wire_path,
            "query": wire_query,
            "headers": dict(signed.header_params),
            "body": body or "",
            "ak": AK,
            "sk": SK,
            "sdk_date": DATE,
            "authorization": signed.header_params["Authorization"],
            "sdk_version": importlib.metadata.version("huaweicloudsdkcore"),
        })
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sdk_signatures.json"
    out.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {out}")


if __name__ == "__main__":
    main()
