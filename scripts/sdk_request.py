#!/usr/bin/env python3
"""Send one HTTP request signed by huaweicloudsdkcore's own signer (SDK-HMAC-SHA256).

The request is built by the SDK's own pipeline (``Client.build_future_request``: default
headers, User-Agent, Content-Type, X-Project-Id from ``BasicCredentials``, query
canonicalization, then the default ``Signer``) and sent with urllib, exactly as the SDK
would put it on the wire. Prints the HTTP status on the first line and the response body
after it; exits 0 whenever a response arrived, 2 when none did.

    python3 scripts/sdk_request.py --endpoint http://127.0.0.1:7788 --ak AK --sk SK \\
        --project-id PID GET /v2/PID/datasets --query limit=5 --query order=asc
"""
import argparse
import sys
import urllib.error
import urllib.parse
import urllib.request

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.client import Client, ClientBuilder
from huaweicloudsdkcore.http.http_config import HttpConfig

# What requests (the SDK's transport) leaves unescaped when it re-quotes a URL.
_WIRE_SAFE = "!#$%&'()*+,/:;=?@[]~"


def signed_request(endpoint, ak, sk, project_id, method, path, query, body, headers):
    """The SdkRequest the SDK would send, signed by its default signer."""
    config = HttpConfig.get_default_config()
    # A fixed suffix instead of the default, which writes an id file under $HOME.
    config.user_agent = "labelhive-sdk-request"
    client = ClientBuilder(Client).with_http_config(config) \
        .with_credentials(BasicCredentials(ak, sk, project_id)) \
        .with_endpoints([endpoint]).build()
    return client.build_future_request(method, path, {}, query, dict(headers), body, None, None, None, {},
                                       None).result()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:7788")
    p.add_argument("--ak", required=True)
    p.add_argument("--sk", required=True)
    p.add_argument("--project-id", required=True)
    p.add_argument("--query", action="append", default=[], metavar="K=V",
                   help="query parameter, unencoded; repeatable (repeated keys allowed)")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                   help="extra request header (signed, as the SDK signs every header); repeatable")
    p.add_argument("--body", help="request body, sent as given (JSON)")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("method")
    p.add_argument("path", help="request path, e.g. /v2/PID/datasets")
    a = p.parse_args()

    endpoint = a.endpoint.rstrip("/")
    query = [tuple(q.split("=", 1)) if "=" in q else (q, "") for q in a.query]
    headers = {}
    for h in a.header:
        name, sep, value = h.partition(":")
        if not sep:
            p.error(f"--header wants NAME:VALUE, got {h!r}")
        headers[name.strip()] = value.strip()

    signed = signed_request(endpoint, a.ak, a.sk, a.project_id, a.method.upper(), a.path, query, a.body, headers)
    # signed.uri is the path plus the SDK's canonical query string, as the SDK sends it.
    url = urllib.parse.urlsplit(endpoint)
    wire = urllib.parse.quote(signed.uri, safe=_WIRE_SAFE)
    body = signed.body if isinstance(signed.body, bytes) else (signed.body or "").encode("utf-8")
    req = urllib.request.Request(f"{url.scheme}://{url.netloc}{wire}", data=body or None, method=signed.method)
    for k, v in signed.header_params.items():
        # The signer stored non-ASCII values as latin-1 text of their UTF-8 bytes, which
        # http.client encodes back to those bytes.
        req.add_header(k, v)
    # Never route a local test request through a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=a.timeout) as resp:
            status, text = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        print(f"no response from {endpoint}: {e}", file=sys.stderr)
        return 2
    print(status)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
