"""The read-only CKAN Action API at /api/3/action/<action> and /api/action/<action>.

Harvesters, the `ckanapi` client and data.go.jp speak this protocol: GET with query parameters or POST with a JSON
(or form) body; answers are `{"help": …, "success": true, "result": …}`; errors carry CKAN's `error.__type`
and status (Not Found Error 404, Authorization Error 403, Validation Error 409, Search Query Error 400; an
unknown action 400). Everything reads through chiiki.opendata.search / queries as the requesting user, so a
庁内限定 dataset is a Not Found Error for everyone who may not see it.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from chiiki.core.middleware import refuses_nul_itself
from chiiki.core.search_request import MAX_Q_LENGTH

from . import actions, queries, search
from .indexing import sector_names
from .models import UsageKind
from .serialize import dataset_dict, group_dict, organization_dict, resource_dict

CKAN_VERSION = "2.10.4"  # the API version whose shapes these answers follow
MAX_ROWS = 1000
WRITE_ACTIONS = {
    "package_create", "package_update", "package_patch", "package_delete", "resource_create", "resource_update",
    "resource_patch", "resource_delete", "organization_create", "organization_update", "organization_delete",
    "group_create", "group_update", "group_delete", "member_create", "dataset_purge",
}


class CkanError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra):
        super().__init__(message)
        self.status, self.kind, self.message, self.extra = status, kind, message, extra


def _help(request, action: str) -> str:
    return request.build_absolute_uri(f"/api/3/action/help_show?name={action}")


def _params(request) -> dict:
    params = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST" and request.body:
        content_type = request.content_type or ""
        if content_type.startswith("application/json") or request.body[:1] in (b"{", b"["):
            try:
                body = json.loads(request.body)
            except ValueError:
                raise CkanError(400, "Validation Error", "JSONの本文を読み取れません") from None
            if not isinstance(body, dict):
                raise CkanError(400, "Validation Error", "本文はJSONオブジェクトにしてください")
            params.update(body)
        else:
            params.update({key: request.POST.get(key) for key in request.POST})
    bad = [key for key, value in params.items() if "\x00" in str(value)]
    if bad:  # PostgreSQL refuses NUL in text; no value of ours contains one
        raise CkanError(409, "Validation Error", "", **{key: ["制御文字（NUL）は使えません"] for key in bad})
    return params


def _int(params: dict, name: str, default: int, *, minimum: int = 0) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise CkanError(409, "Validation Error", "", **{name: ["整数で指定してください"]}) from None
    if value < minimum:
        raise CkanError(409, "Validation Error", "", **{name: [f"{minimum}以上の整数で指定してください"]})
    return value


def _bool(params: dict, name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if isinstance(raw, bool):
        return raw
    return str(raw).lower() in ("true", "1", "yes", "on")


def _id(params: dict, name: str = "id") -> str:
    value = params.get(name)
    if value in (None, ""):
        raise CkanError(409, "Validation Error", "", **{name: ["必須項目です"]})
    return str(value)


# ---- package_search -------------------------------------------------------------------------------------------

FQ_FIELDS = {"organization": "organization", "owner_org": "organization", "groups": "groups", "tags": "tags",
             "res_format": "res_format", "license_id": "license_id", "standard_type": "standard_type"}
_FQ_TERM = re.compile(r'([+-]?)([A-Za-z_.]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)')
SORT_KEYS = {("metadata_modified", "desc"): "-modified", ("metadata_modified", "asc"): "modified",
             ("id", "asc"): "id", ("id", "desc"): "-id", ("name", "asc"): "name", ("title_string", "asc"): "title",
             ("title_string", "desc"): "-title", ("score", "desc"): "relevance"}


def _parse_time(raw: str) -> float | None:
    raw = raw.strip()
    if raw in ("*", ""):
        return None
    text = raw.replace("Z", "+00:00")
    if text.upper().startswith("NOW"):
        return dt.datetime.now(dt.UTC).timestamp() if text.upper() == "NOW" else _bad_query(raw)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        _bad_query(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _bad_query(raw: str):
    raise CkanError(400, "Search Query Error", f"検索条件を解釈できません: {raw}")


def parse_fq(fq: str) -> tuple[dict[str, list[str]], float | None, float | None]:
    filters: dict[str, list[str]] = {}
    since = until = None
    rest = _FQ_TERM.sub(" ", fq or "")
    if re.sub(r"\b(AND)\b", " ", rest).strip():
        _bad_query(rest.strip())
    for sign, field, value in _FQ_TERM.findall(fq or ""):
        if sign == "-":
            raise CkanError(400, "Search Query Error", f"除外条件（-{field}）には対応していません")
        if field == "metadata_modified":
            match = re.fullmatch(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", value)
            if not match:
                _bad_query(value)
            since, until = _parse_time(match[1]), _parse_time(match[2])
            continue
        if field not in FQ_FIELDS:
            raise CkanError(400, "Search Query Error", f"絞り込みに使えない項目です: {field}")
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        filters.setdefault(FQ_FIELDS[field], []).append(value)
    return filters, since, until


def _facet_fields(raw) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, list):
        fields = raw
    else:
        try:
            fields = json.loads(raw)
        except ValueError:
            raise CkanError(409, "Validation Error", "", **{"facet.field": ["JSONの配列で指定してください"]}) from None
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise CkanError(409, "Validation Error", "", **{"facet.field": ["JSONの配列で指定してください"]})
    unknown = [f for f in fields if FQ_FIELDS.get(f) not in search.FACETS]
    if unknown:
        raise CkanError(400, "Search Query Error", f"集計できない項目です: {', '.join(unknown)}")
    return fields


def _sort(raw) -> str:
    if raw in (None, ""):
        return "relevance"
    first = str(raw).split(",")[0].split()
    if len(first) == 1:
        first.append("asc")
    key = SORT_KEYS.get((first[0], first[1].lower())) if len(first) == 2 else None
    if key is None:
        raise CkanError(400, "Search Query Error", f"並べ替えに使えない指定です: {raw}")
    return key


def _facet_label(field: str, value: str, names: dict[str, str], owners: dict[str, str]) -> str:
    if field == "organization":
        return owners.get(value, value)
    if field == "groups":
        return names.get(value, value)
    return value


def package_search(request, params):
    q = str(params.get("q") or "").strip()[:MAX_Q_LENGTH]  # cut as the catalog page cuts it
    if q in ("*:*", "*"):
        q = ""
    filters, since, until = parse_fq(str(params.get("fq") or ""))
    rows = min(_int(params, "rows", 10), MAX_ROWS)
    start = _int(params, "start", 0)
    sort = _sort(params.get("sort"))
    requested = _facet_fields(params.get("facet.field"))
    facet_on = _bool(params, "facet", True)
    limit = _int(params, "facet.limit", 50, minimum=-1)
    mincount = _int(params, "facet.mincount", 1)
    result = search.run(request.user, q=q, filters=filters, modified_since=since, modified_until=until, sort=sort,
                        start=start, rows=rows, facet_fields=[FQ_FIELDS[f] for f in requested] if facet_on else [],
                        facet_limit=limit, facet_mincount=mincount)
    names = result.snapshot.sector_names
    owners = result.snapshot.owner_titles
    facets, search_facets = {}, {}
    for field in requested if facet_on else []:
        values = result.facets.get(FQ_FIELDS[field], [])
        facets[field] = dict(values)
        search_facets[field] = {"title": field, "items": [
            {"name": v, "display_name": _facet_label(FQ_FIELDS[field], v, names, owners), "count": c}
            for v, c in values]}
    return {"count": result.count, "results": [dataset_dict(request, d, names) for d in result.datasets],
            "facets": facets, "search_facets": search_facets, "sort": params.get("sort") or "score desc"}


# ---- the other actions ------------------------------------------------------------------------------------------

def status_show(request, params):
    return {"site_title": "Chiiki オープンデータカタログ", "site_description": "地域IoT実装推進プラットフォーム",
            "site_url": request.build_absolute_uri("/").rstrip("/"), "ckan_version": CKAN_VERSION,
            "error_emails_to": None, "locale_default": "ja", "extensions": []}


def site_read(request, params):
    return True


def package_list(request, params):
    limit = _int(params, "limit", 0)
    offset = _int(params, "offset", 0)
    names = list(queries.visible_datasets(request.user).order_by("name").values_list("name", flat=True))
    return names[offset:offset + limit] if limit else names[offset:]


def _count_api(request, dataset) -> None:
    actions.count_use(dataset, UsageKind.API, user_agent=request.headers.get("User-Agent", ""))


def package_show(request, params):
    dataset = queries.get_dataset(request.user, _id(params))
    _count_api(request, dataset)
    return dataset_dict(request, dataset, sector_names())


def resource_show(request, params):
    resource = queries.get_resource(request.user, _id(params))
    _count_api(request, resource.dataset)
    return resource_dict(request, resource)


def _organizations(request):
    return queries.owners_with_counts(request.user)


def organization_list(request, params):
    owners = _organizations(request)
    sort = str(params.get("sort") or "name asc")
    if sort.startswith("package_count"):
        owners.sort(key=lambda pair: (-pair[1], pair[0].key))
    elif sort.startswith("title"):
        owners.sort(key=lambda pair: pair[0].title)
    if sort.endswith(" desc") and not sort.startswith("package_count"):
        owners.reverse()
    offset, limit = _int(params, "offset", 0), _int(params, "limit", 0)
    owners = owners[offset:offset + limit] if limit else owners[offset:]
    if _bool(params, "all_fields"):
        return [organization_dict(owner, n) for owner, n in owners]
    return [owner.key for owner, _n in owners]


def organization_show(request, params):
    owner = queries.owner_by_key(_id(params))
    datasets = queries.datasets_of_owner(request.user, owner)
    out = organization_dict(owner, datasets.count())
    if _bool(params, "include_datasets"):
        names = sector_names()
        rows = datasets.select_related("municipality__prefecture", "prefecture").prefetch_related("resources")
        out["packages"] = [dataset_dict(request, d, names) for d in rows.order_by("name")[:1000]]
    return out


def _group_counts(request) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sectors in queries.visible_datasets(request.user).values_list("sectors", flat=True):
        for code in sectors or []:
            counts[code] = counts.get(code, 0) + 1
    return counts


def group_list(request, params):
    from chiiki.roadmap.models import Sector

    counts = _group_counts(request)
    sectors = list(Sector.objects.order_by("order", "code").values_list("code", "name"))
    if _bool(params, "all_fields"):
        return [group_dict(code, name, counts.get(code, 0)) for code, name in sectors]
    return [code for code, _name in sectors]


def group_show(request, params):
    from chiiki.roadmap.models import Sector

    sector = Sector.objects.filter(code=_id(params)).first()
    if sector is None:
        raise Http404
    return group_dict(sector.code, sector.name, _group_counts(request).get(sector.code, 0))


def tag_list(request, params):
    query = str(params.get("query") or "").lower()
    tags = set()
    for values in queries.visible_datasets(request.user).values_list("tags", flat=True):
        tags.update(values or [])
    return sorted(t for t in tags if query in t.lower())


ACTIONS = {
    "status_show": status_show, "site_read": site_read, "package_list": package_list,
    "package_search": package_search, "package_show": package_show, "resource_show": resource_show,
    "organization_list": organization_list, "organization_show": organization_show,
    "group_list": group_list, "group_show": group_show, "tag_list": tag_list,
}


def _error(request, action: str, status: int, kind: str, message: str, **extra) -> JsonResponse:
    error = {"__type": kind, **extra}
    if message:
        error["message"] = message
    return JsonResponse({"help": _help(request, action), "success": False, "error": error}, status=status,
                        json_dumps_params={"ensure_ascii": False})


@refuses_nul_itself  # a Validation Error in CKAN's shape (_params), not the site's 422
@csrf_exempt  # read-only: nothing a forged request could change
def action_view(request, action: str):
    if request.method not in ("GET", "POST"):
        return _error(request, action, 400, "Bad request", "GET または POST で呼び出してください")
    if action in WRITE_ACTIONS:
        return _error(request, action, 403, "Authorization Error",
                      "このカタログのCKAN APIは読み取り専用です。登録・更新は画面または /api/v1/opendata で行ってください")
    handler = ACTIONS.get(action)
    if handler is None:
        return _error(request, action, 400, "Bad request", f"Action name not known: {action}")
    try:
        params = _params(request)
        result = handler(request, params)
    except CkanError as exc:
        return _error(request, action, exc.status, exc.kind, exc.message, **exc.extra)
    except Http404:
        return _error(request, action, 404, "Not Found Error", "Not found")
    return JsonResponse({"help": _help(request, action), "success": True, "result": result},
                        json_dumps_params={"ensure_ascii": False})
