"""Every schema of the API has its own name: django-ninja names an OpenAPI component after the class, so two apps'
schemas with one name would silently share one component and one app's answers would be documented with the
other's fields (it happened twice: MunicipalityRef, CandidateOut)."""

from collections import defaultdict

from ninja import Schema

import chiiki.api  # noqa: F401 - imports every app's API module


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    by_name = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("chiiki."):
            by_name[schema.__name__].add(schema.__module__)
    shared = {name: sorted(modules) for name, modules in by_name.items() if len(modules) > 1}
    assert shared == {}


def test_each_app_schema_is_in_the_document(client, db):
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "ModelRegionCandidateOut" in components and "profile_id" not in components["ModelRegionCandidateOut"].get(
        "required", [])
    assert "profile_id" in components["TalentCandidateOut"]["required"]


def test_every_operation_documents_the_servers_414(client, db):
    """gunicorn refuses a request line over 4,094 bytes before Django runs; clients are told so on every operation."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    operations = [operation for methods in paths.values() for operation in methods.values()]
    assert len(operations) > 100
    assert all("414" in operation["responses"] for operation in operations)
    assert all("content" not in operation["responses"]["414"] for operation in operations)
