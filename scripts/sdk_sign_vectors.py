#!/usr/bin/env python3
"""Write tests/fixtures/sdk_signatures.json: requests signed by huaweicloudsdkcore itself.

Every vector goes through the SDK's own request pipeline (``Client.build_future_request``:
path-parameter quoting, query flattening, default headers, ``BasicCredentials`` adding
X-Project-Id, then the default ``Signer``), so the Rust verifier and signer are checked
against the reference implementation, never against a re-implementation. The path and
query recorded are the ones ``requests`` (the SDK's transport) would put on the wire.

    pip install huaweicloudsdkcore && python3 scripts/sdk_sign_vectors.py

Dates, keys and the User-Agent suffix are fixed, so the output is reproducible.
"""
import importlib.metadata
import json
import pathlib

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.client import Client, ClientBuilder
from huaweicloudsdkcore.http.http_config import HttpConfig

AK = "HPUAEXAMPLEACCESSKEY"
SK = "exampleSecretKey0123456789abcdefghijklmn"
PID = "0123456789abcdef0123456789abcdef"
ENDPOINT = "http://127.0.0.1:7788"
DATES = ["20261122T101500Z", "20250101T000000Z", "20240229T235959Z"]
DS = "/v2/{project_id}/datasets"
SEARCH = [{"label_list": {"labels": [{"name": "Cat", "type": 1}], "op": "OR"}, "sample_type": 0}]


def case(name, method, path, *, path_params=None, query=None, formats=None, body=None, headers=None,
         ignore_get_content_type=False, token=None, sk=SK):
    return dict(name=name, method=method, path=path, path_params=path_params or {}, query=query or [],
                formats=formats or {}, body=body, headers=headers or {},
                ignore_get_content_type=ignore_get_content_type, token=token, sk=sk)


CASES = [
    case("get without query", "GET", DS),
    case("get with several params out of order", "GET", DS,
         query=[("offset", 0), ("limit", 10), ("sort_by", "create_time"), ("order", "desc"), ("dataset_type", 0)]),
    case("repeated keys", "GET", DS, query=[("tag", "b"), ("tag", "a"), ("a", "1"), ("tag", "a")]),
    case("list value in multi format", "GET", DS + "/{dataset_id}/data-annotations/samples",
         path_params={"dataset_id": "abcdefghijklmnopqrs"}, query=[("label_name", ["dog", "cat", "Cat"])],
         formats={"label_name": "multi"}),
    case("empty value", "GET", DS, query=[("search_content", ""), ("limit", "5")]),
    case("values needing encoding", "GET", DS,
         query=[("search_content", "a b/c+d%e~f"), ("name", "éà ü 标注"), ("raw", "50%25"), ("amp", "x=y&z;w"),
                ("star", "*!'()@:,$")]),
    case("boolean and integer values", "GET", DS, query=[("with_labels", True), ("limit", 20), ("offset", 0)]),
    case("url-encoded json value (search_conditions)", "GET",
         DS + "/{dataset_id}/data-annotations/samples", path_params={"dataset_id": "abcdefghijklmnopqrs"},
         query=[("search_conditions", json.dumps(SEARCH)), ("limit", 10)]),
    case("keys sorted decoded, not encoded", "GET", DS,
         query=[("\u00e9k", "1"), ("~k", "2"), ("Zk", "3"), ("_k", "4"), ("k k", "5"), ("k+k", "6")]),
    case("path with trailing slash", "GET", DS + "/"),
    case("path segment needing encoding (path param)", "GET",
         DS + "/{dataset_id}/data-annotations/labels/{label_name}",
         path_params={"dataset_id": "abcdefghijklmnopqrs", "label_name": "Café au lait 100%"}),
    case("path param with a slash", "DELETE", DS + "/{dataset_id}/data-annotations/labels/{label_name}",
         path_params={"dataset_id": "abcdefghijklmnopqrs", "label_name": "cats/dogs"}),
    case("reserved characters left bare on the wire", "GET", DS + "/x:y;z=1,2@3+4!$&'()*~"),
    case("lower-case percent escapes on the wire", "GET", DS + "/caf%c3%a9"),
    case("invalid utf-8 escapes in the path", "GET", DS + "/bad%FF%E2%82x"),
    case("post json", "POST", DS,
         body={"dataset_name": "dataset-457f", "dataset_type": 0, "data_sources": [{"data_path": "/test-obs/in/"}],
               "work_path": "/test-obs/out/", "work_path_type": 0}),
    case("put json", "PUT", DS + "/{dataset_id}", path_params={"dataset_id": "abcdefghijklmnopqrs"},
         body={"description": "just a test", "labels": [{"name": "Cat"}]}),
    case("delete without body", "DELETE", DS + "/{dataset_id}", path_params={"dataset_id": "abcdefghijklmnopqrs"}),
    case("delete with json body", "DELETE", DS + "/{dataset_id}/data-annotations/samples",
         path_params={"dataset_id": "abcdefghijklmnopqrs"}, body={"samples": ["a", "b"], "delete_source": False}),
    case("post with empty body", "POST", DS + "/{dataset_id}/sync-data",
         path_params={"dataset_id": "abcdefghijklmnopqrs"}, body=""),
    case("unicode body", "POST", DS,
         body=json.dumps({"dataset_name": "données", "description": "标注 données ✓"}, ensure_ascii=False)),
    case("patch with query and body", "PATCH", DS + "/{dataset_id}", path_params={"dataset_id": "abcdefghijklmnopqrs"},
         query=[("dry_run", False)], body={"description": "x"}),
    case("non-json content type is unsigned payload", "POST", DS + "/{dataset_id}/upload",
         path_params={"dataset_id": "abcdefghijklmnopqrs"}, body="raw text, not json",
         headers={"Content-Type": "text/plain"}),
    case("get without content-type (ignore_content_type_for_get_request)", "GET", DS,
         query=[("limit", 1)], ignore_get_content_type=True),
    case("temporary credentials sign x-security-token", "GET", DS, token="example-security-token-0123"),
    case("custom headers: trimmed, underscore names unsigned, utf-8 value", "GET", DS,
         headers={"X-Custom": "  padded  value ", "X_Not_Signed": "ignored", "X-Unicode": "déjà vu"}),
    case("different secret and date", "GET", DS, query=[("limit", 2)], sk="another/secret+key=="),
]


def wire_text(value: str) -> str:
    """Header values the SDK left as latin-1 mojibake of their UTF-8 bytes, as text again."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def sign(c, date):
    config = HttpConfig.get_default_config()
    config.user_agent = "labelhive-sdk-vectors"  # fixed: the default one names this machine
    config.ignore_content_type_for_get_request = c["ignore_get_content_type"]
    credentials = BasicCredentials(AK, c["sk"], PID)
    if c["token"]:
        credentials.with_security_token(c["token"])
    client = ClientBuilder(Client).with_http_config(config).with_credentials(credentials) \
        .with_endpoints([ENDPOINT]).build()
    headers = {"X-Sdk-Date": date}
    headers.update(c["headers"])
    body = c["body"]
    return client.build_future_request(
        c["method"], c["path"], dict(c["path_params"]), list(c["query"]), headers, body, None, None, None,
        dict(c["formats"]), None).result()


def main() -> None:
    version = importlib.metadata.version("huaweicloudsdkcore")
    vectors = []
    for i, c in enumerate(CASES):
        date = DATES[i % len(DATES)]
        signed = sign(c, date)
        # What requests (the SDK's transport) sends: it re-quotes the URL before sending.
        prepared = requests.Request(signed.method, signed.url).prepare()
        wire_path, _, wire_query = prepared.path_url.partition("?")
        body = signed.body if isinstance(signed.body, bytes) else (signed.body or "").encode("utf-8")
        headers = {k: wire_text(v) for k, v in signed.header_params.items()}
        vectors.append({
            "name": c["name"],
            "method": signed.method,
            "path": wire_path,
            "query": wire_query,
            "headers": headers,
            "body": body.decode("utf-8"),
            "ak": AK,
            "sk": c["sk"],
            "sdk_date": date,
            "authorization": signed.header_params["Authorization"],
        })
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sdk_signatures.json"
    doc = {
        "generator": "scripts/sdk_sign_vectors.py",
        "huaweicloudsdkcore": version,
        "vectors": vectors,
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors (huaweicloudsdkcore {version}) to {out}")


if __name__ == "__main__":
    main()
