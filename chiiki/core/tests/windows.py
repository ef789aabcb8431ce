"""Checks of a bare-list API endpoint bounded by chiiki.core.paging.Window, shared by the apps' tests.

The endpoint must list at least three rows; `expected` is their order as the endpoint gives them.
"""

import re
from urllib.parse import parse_qs, urlsplit

LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(response) -> dict[str, str]:
    """rel → path with query string, from the RFC 8288 Link header."""
    out = {}
    for url, rel in LINK.findall(response.headers.get("Link", "")):
        parts = urlsplit(url)
        out[rel] = f"{parts.path}?{parts.query}"
    return out


def assert_windowed(client, url: str, expected: list, key="id", **headers):
    """limit/offset slice `url`'s list, X-Total-Count counts all of it, Link walks it keeping the other query
    parameters, and a limit or offset out of range answers 422 in Japanese."""
    assert len(expected) >= 3, "the check needs at least three rows"
    sep = "&" if "?" in url else "?"
    own_query = parse_qs(urlsplit(url).query)

    def get(query, status=200):
        response = client.get(f"{url}{sep}{query}" if query else url, **headers)
        assert response.status_code == status, response.content
        return response

    def keys(response):
        return [row[key] for row in response.json()]

    everything = get("")
    assert keys(everything) == expected and everything["X-Total-Count"] == str(len(expected))
    assert "Link" not in everything  # one window holds it all

    first = get("limit=2")
    assert keys(first) == expected[:2] and first["X-Total-Count"] == str(len(expected))
    nxt = links(first)
    assert set(nxt) == {"next"}
    next_query = parse_qs(urlsplit(nxt["next"]).query)
    assert next_query == {**own_query, "limit": ["2"], "offset": ["2"]}  # the same query string otherwise

    second = client.get(nxt["next"], **headers)
    assert second.status_code == 200 and keys(second) == expected[2:4]
    back = links(second)
    assert parse_qs(urlsplit(back["prev"]).query) == {**own_query, "limit": ["2"], "offset": ["0"]}
    assert ("next" in back) == (len(expected) > 4)

    last = get(f"offset={len(expected) - 1}&limit=5")
    assert keys(last) == expected[-1:] and "next" not in links(last)
    beyond = get(f"offset={len(expected) + 10}")
    assert beyond.json() == [] and beyond["X-Total-Count"] == str(len(expected))

    for query, field, message in (("limit=0", "limit", "1以上"), ("limit=501", "limit", "500以下"),
                                  ("offset=-1", "offset", "0以上"), ("limit=abc", "limit", "整数")):
        bad = get(query, status=422)
        detail = bad.json()["detail"]
        assert [d["loc"][-1] for d in detail] == [field] and message in detail[0]["msg"], detail


def assert_window_documented(client, path: str):
    """The OpenAPI document lists `limit` (1–500, default 100) and `offset` (≥ 0) for GET `path`."""
    operation = client.get("/api/v1/openapi.json").json()["paths"][path]["get"]
    params = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    limit, offset = params["limit"]["schema"], params["offset"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 100)
    assert (offset["minimum"], offset["default"]) == (0, 0)
    assert "X-Total-Count" in params["limit"].get("description", "")
    headers = operation["responses"]["200"]["headers"]
    assert headers["X-Total-Count"]["required"] and "Link" in headers
