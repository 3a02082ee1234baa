#!/usr/bin/env python3
"""Send one HTTP request signed by huaweicloudsdkcore's own signer (SDK-HMAC-SHA256).

Prints the HTTP status on the first line and the response body after it; exits 0
whenever a response arrived. Used by the integration tests and the README.

    python3 scripts/sdk_request.py --endpoint http://127.0.0.1:7788 --ak AK --sk SK \
        --project-id PID GET /v2/PID/datasets --query limit=5
"""
import argparse
import sys
import urllib.error
import urllib.parse
import urllib.request

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ak", required=True)
    p.add_argument("--sk", required=True)
    p.add_argument("--project-id", required=True)
    p.add_argument("--query", action="append", default=[], help="key=value, repeatable")
    p.add_argument("--body", help="JSON body")
    p.add_argument("method")
    p.add_argument("path")
    a = p.parse_args()

    endpoint = urllib.parse.urlparse(a.endpoint)
    query = [tuple(q.split("=", 1)) if "=" in q else (q, "") for q in a.query]
    body = a.body.encode("utf-8") if a.body is not None else None
    request = SdkRequest(
        method=a.method.upper(),
        schema=endpoint.scheme,
        host=endpoint.netloc,
        resource_path=a.path,
        query_params=query,
        header_params={"Content-Type": "application/json", "User-Agent": "huaweicloud-usdk-python/3.0"},
        body=body,
    )
    signed = BasicCredentials(a.ak, a.sk, a.project_id).sign_request(request)
    url = f"{endpoint.scheme}://{endpoint.netloc}{signed.uri}"
    req = urllib.request.Request(url, data=signed.body or None, method=signed.method)
    for k, v in signed.header_params.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    print(status)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
