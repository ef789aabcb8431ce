"""/api/v1/docs: the API reference as a page of the site, read from the same OpenAPI document that
/api/v1/openapi.json serves. It replaces Swagger UI, whose markup nests interactive controls, has no page language
or landmarks and fails contrast (axe-core), and which had no viewport for phones."""

from django.shortcuts import render

from chiiki.api import api

METHODS = ("get", "post", "put", "patch", "delete")
PLACES = {"path": "パス", "query": "クエリ", "header": "ヘッダー", "cookie": "Cookie"}


def _type(schema: dict, components: dict) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " または ".join(t for t in (_type(s, components) for s in schema["anyOf"]) if t and t != "null")
    if schema.get("type") == "array":
        return f"{_type(schema.get('items') or {}, components)} の配列"
    kind = schema.get("type", "")
    if "enum" in schema:
        kind += "（" + "・".join(str(v) for v in schema["enum"]) + "）"
    return kind


def _operations(spec: dict) -> list[dict]:
    components = spec.get("components", {}).get("schemas", {})
    groups: dict[str, list] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            parameters = [{
                "name": p["name"], "place": PLACES.get(p.get("in"), p.get("in")), "required": p.get("required", False),
                "type": _type(p.get("schema") or {}, components),
                "description": p.get("description") or (p.get("schema") or {}).get("description", ""),
            } for p in operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {})
            responses = [{"status": status, "description": r.get("description", "")}
                         for status, r in sorted(operation.get("responses", {}).items(), key=lambda pair: str(pair[0]))]
            tag = (operation.get("tags") or ["その他"])[0]
            groups.setdefault(tag, []).append({
                "id": operation.get("operationId", f"{method}-{path}"), "method": method.upper(), "path": path,
                "summary": operation.get("summary", ""), "description": operation.get("description", ""),
                "parameters": parameters, "body": ", ".join(body), "responses": responses,
                "secured": bool(operation.get("security")),
            })
    return [{"tag": tag, "operations": operations} for tag, operations in groups.items()]


def docs(request):
    spec = api.get_openapi_schema(path_params={})
    return render(request, "core/api_docs.html", {
        "info": spec.get("info", {}), "groups": _operations(spec), "openapi_url": "/api/v1/openapi.json",
    })
