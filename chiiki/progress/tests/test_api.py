"""The progress API per role: list with carry-over, summary, PUT with optimistic locking, import, export."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.access import SYSTEM
from chiiki.progress.imports import PROGRESS

from .conftest import csv_file

pytestmark = pytest.mark.django_db


def put(client, code, sector, year, body, **extra):
    return client.put(f"/api/v1/progress/{code}/{sector}/{year}", data=json.dumps(body),
                      content_type="application/json", **extra)


def seed(rows):
    """rows: (code, sector, year, stage) written through the import action as the system."""
    lines = [f"{c},{s},{y},{st},," for c, s, y, st in rows]
    report = PROGRESS.run(SYSTEM, csv_file(lines), "seed.csv")
    assert report.ok and report.committed, report.errors


def bearer(user):
    from chiiki.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_list_applies_carry_over_and_not_started(client, register):
    seed([("131016", "disaster", 2024, "piloting"), ("131016", "disaster", 2025, "implemented"),
          ("131016", "education", 2026, "planned")])
    body = client.get("/api/v1/progress?fiscal_year=2026&municipality=131016").json()
    assert body["count"] == 8
    items = {i["sector"]: i for i in body["items"]}
    assert items["disaster"]["stage"] == "implemented" and items["disaster"]["carried_over"] is True
    assert items["disaster"]["version"] == 0  # no record of 2026 itself
    assert items["education"]["stage"] == "planned" and items["education"]["carried_over"] is False
    assert items["education"]["version"] == 1
    assert items["health"]["stage"] == "not_started" and items["health"]["carried_over"] is False
    assert items["disaster"]["municipality"] == {"code": "131016", "name": "千代田区"}
    earlier = client.get("/api/v1/progress?fiscal_year=2024&municipality=131016&sector=disaster").json()
    assert earlier["items"][0]["stage"] == "piloting"
    assert client.get("/api/v1/progress?fiscal_year=R6&municipality=13101&sector=disaster").json()["count"] == 1


def test_list_filters_and_pagination(client, register):
    seed([("131016", "disaster", 2026, "implemented"), ("132012", "disaster", 2026, "self_sustaining")])
    body = client.get("/api/v1/progress?fiscal_year=2026&sector=disaster&stage=implemented,self_sustaining").json()
    assert {i["municipality"]["code"] for i in body["items"]} == {"131016", "132012"}
    assert client.get("/api/v1/progress?fiscal_year=2026&prefecture=32").json()["count"] == 2 * 8
    page = client.get("/api/v1/progress?fiscal_year=2026&page=2&page_size=10").json()
    assert page["count"] == 8 * 8 and len(page["items"]) == 10
    assert client.get("/api/v1/progress?stage=done").status_code == 422


def test_a_repeated_stage_means_any_of_them_as_on_the_pages(client, register):
    """The pages' links repeat stage (?stage=implemented&stage=self_sustaining): the API kept only the last one (64
    cells where the records list showed 412). Repeated or comma-separated, it is the same set as the page."""
    seed([("131016", "disaster", 2026, "implemented"), ("132012", "disaster", 2026, "self_sustaining"),
          ("011002", "disaster", 2026, "planned")])
    query = "fiscal_year=2026&sector=disaster&per=cell"
    repeated = client.get(f"/api/v1/progress?{query}&stage=implemented&stage=self_sustaining").json()
    assert {i["municipality"]["code"] for i in repeated["items"]} == {"131016", "132012"}
    assert repeated["count"] == client.get(f"/api/v1/progress?{query}&stage=implemented,self_sustaining").json()[
        "count"]
    page = client.get(f"/progress/records/?{query}&stage=implemented&stage=self_sustaining&format=csv")
    assert len(page.content.decode("utf-8-sig").splitlines()) - 1 == repeated["count"] == 2
    assert client.get(f"/api/v1/progress?{query}&stage=implemented&stage=done").status_code == 422


def test_summary_counts_and_groups(client, register):
    seed([("131016", "disaster", 2025, "implemented"), ("132012", "disaster", 2026, "piloting"),
          ("011002", "education", 2026, "self_sustaining")])
    body = client.get("/api/v1/progress/summary?fiscal_year=2026&sector=disaster&group_by=prefecture").json()
    assert body["fiscal_year"] == 2026 and body["sector"] == "disaster" and body["group_by"] == "prefecture"
    assert body["total"]["municipalities"] == 8
    assert body["total"]["stages"]["implemented"] == 1 and body["total"]["stages"]["piloting"] == 1
    assert body["total"]["stages"]["not_started"] == 6
    tokyo = next(g for g in body["groups"] if g["key"] == "13")
    assert tokyo["name"] == "東京都" and tokyo["municipalities"] == 3
    assert tokyo["stages"]["implemented"] == 1 and tokyo["stages"]["piloting"] == 1
    all_sectors = client.get("/api/v1/progress/summary?fiscal_year=2026&group_by=kind").json()
    assert all_sectors["total"]["sectors"]["education"]["self_sustaining"] == 1
    kinds = {g["key"]: g for g in all_sectors["groups"]}
    assert kinds["designated_city"]["sectors"]["education"]["self_sustaining"] == 1
    by_pop = client.get("/api/v1/progress/summary?fiscal_year=2026&group_by=population_class").json()
    assert [g["key"] for g in by_pop["groups"]] == ["unknown"]  # the register ships without population
    assert client.get("/api/v1/progress/summary?group_by=city").status_code == 422


def test_summary_reflects_a_write_on_the_next_request(client, register, users):
    url = "/api/v1/progress/summary?fiscal_year=2026&sector=disaster"
    assert client.get(url).json()["total"]["stages"]["implemented"] == 0
    hachioji = users["hachioji"]
    response = put(client, "132012", "disaster", 2026, {"stage": "implemented", "version": 0}, **bearer(hachioji))
    assert response.status_code == 200, response.content
    assert client.get(url).json()["total"]["stages"]["implemented"] == 1


@pytest.mark.parametrize("role, code, expected", [
    ("admin", "011002", 200),
    ("tokyo", "132012", 200),       # prefecture staff: their prefecture
    ("tokyo", "011002", 403),       # … not another
    ("hachioji", "132012", 200),    # municipal staff: their municipality
    ("hachioji", "131016", 403),
    ("advisor", "132012", 403),
    ("company", "132012", 403),
])
def test_put_per_role(client, users, role, code, expected):
    response = put(client, code, "disaster", 2026, {"stage": "planned", "version": 0}, **bearer(users[role]))
    assert response.status_code == expected, response.content
    assert "detail" in response.json() or expected == 200


def test_put_anonymous_unknown_and_invalid(client, users):
    assert put(client, "132012", "disaster", 2026, {"stage": "planned", "version": 0}).status_code == 401
    auth = bearer(users["admin"])
    assert put(client, "999999", "disaster", 2026, {"stage": "planned", "version": 0}, **auth).status_code == 404
    assert put(client, "132012", "space", 2026, {"stage": "planned", "version": 0}, **auth).status_code == 404
    response = put(client, "132012", "disaster", 2026, {"stage": "done", "version": 0}, **auth)
    assert response.status_code == 422 and "stage" in response.json()["detail"]
    response = put(client, "132012", "disaster", 2026, {"stage": "planned", "evidence_url": "javascript:x", "version": 0}, **auth)
    assert response.status_code == 422


def test_put_optimistic_locking(client, users, history_count):
    hachioji, tokyo = bearer(users["hachioji"]), bearer(users["tokyo"])
    first = put(client, "132012", "health", 2026, {"stage": "considering", "version": 0}, **hachioji)
    assert first.status_code == 200 and first.json()["version"] == 1
    second = put(client, "132012", "health", 2026, {"stage": "planned", "version": 1}, **tokyo)
    assert second.status_code == 200 and second.json()["version"] == 2
    stale = put(client, "132012", "health", 2026, {"stage": "implemented", "note": "古い画面から", "version": 1}, **hachioji)
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["stage"] == "planned" and body["current"]["version"] == 2
    assert "先に更新" in body["detail"]
    stale_create = put(client, "132012", "health", 2026, {"stage": "implemented", "version": 0}, **hachioji)
    assert stale_create.status_code == 409
    assert history_count() == 2
    # Saving the same values again writes nothing.
    same = put(client, "132012", "health", 2026, {"stage": "planned", "version": 2}, **tokyo)
    assert same.status_code == 200 and same.json()["version"] == 2 and history_count() == 2


def test_history_records_who_and_what(client, users):
    from chiiki.core.models import ChangeRecord

    put(client, "132012", "work", 2026, {"stage": "planned", "version": 0}, **bearer(users["hachioji"]))
    put(client, "132012", "work", 2026, {"stage": "piloting", "version": 1}, **bearer(users["tokyo"]))
    entries = list(ChangeRecord.objects.filter(model="progress.progressrecord").order_by("id"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].actor == users["tokyo"] and entries[1].before["stage"] == "planned"
    assert entries[1].after["stage"] == "piloting" and entries[1].municipality_id == "132012"
    assert entries[1].source == "api"


@pytest.mark.parametrize("role, expected", [("admin", 200), ("tokyo", 422), ("hachioji", 403), ("advisor", 403)])
def test_import_per_role(client, users, records, role, expected):
    data = csv_file(["132012,disaster,2026,implemented,,", "011002,disaster,2026,planned,,"])
    response = client.post("/api/v1/progress/import", {"file": _upload(data)}, **bearer(users[role]))
    assert response.status_code == expected, response.content
    if role == "admin":
        assert response.json()["committed"] is True and response.json()["created"] == 2
    else:
        assert records() == {}
    if role == "tokyo":
        errors = response.json()["errors"]
        assert [e["row"] for e in errors] == [3] and "権限" in errors[0]["message"]


def test_import_dry_run_and_anonymous(client, users, records):
    data = csv_file(["132012,disaster,2026,implemented,,"])
    response = client.post("/api/v1/progress/import", {"file": _upload(data), "dry_run": "true"},
                           **bearer(users["tokyo"]))
    assert response.status_code == 200 and response.json()["created"] == 1 and not response.json()["committed"]
    assert records() == {}
    assert client.post("/api/v1/progress/import", {"file": _upload(data)}).status_code == 401


def test_export_round_trip(client, users, records, history_count):
    seed([("131016", "disaster", 2024, "piloting"), ("131016", "disaster", 2026, "implemented"),
          ("132012", "education", 2025, "self_sustaining")])
    before, histories = records(), history_count()
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/api/v1/progress/export.{fmt}?fiscal_year=2026")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        if fmt == "csv":
            text = response.content.decode("utf-8-sig")
            assert text.splitlines()[0].startswith("団体コード,団体名,分野,年度,段階")
            assert len(text.strip().splitlines()) == 1 + 8 * 8
        upload = _upload(response.content, f"export.{fmt}")
        result = client.post("/api/v1/progress/import", {"file": upload}, **bearer(users["admin"]))
        assert result.status_code == 200, result.content
        assert result.json()["created"] == 0 and result.json()["updated"] == 0
    assert records() == before and history_count() == histories


def _upload(data: bytes, name="progress.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_version_is_required_and_must_be_a_number(client, users, records):
    """Hardening finding 8: an update without a version (or with a malformed one) never overwrites: 422."""
    auth = bearer(users["admin"])
    missing = put(client, "132012", "disaster", 2026, {"stage": "planned"}, **auth)
    assert missing.status_code == 422 and "version" in json.dumps(missing.json(), ensure_ascii=False)
    assert put(client, "132012", "disaster", 2026, {"stage": "planned", "version": "x"}, **auth).status_code == 422
    assert put(client, "132012", "disaster", 2026, {"stage": "planned", "version": -1}, **auth).status_code == 422
    assert records() == {}
    first = put(client, "132012", "disaster", 2026, {"stage": "planned", "version": 0}, **auth)
    assert first.status_code == 200
    assert put(client, "132012", "disaster", 2026, {"stage": "implemented"}, **auth).status_code == 422
    assert records() == {("132012", "disaster", 2026): ("planned", 1)}


def test_fiscal_year_window_for_writes(client, users, records, settings):
    """Hardening finding 7: 年度 outside PROGRESS_FIRST_FISCAL_YEAR … current 年度 + 1 is refused on every path."""
    from chiiki.core.fiscal import current_fiscal_year

    auth = bearer(users["hachioji"])
    next_year = current_fiscal_year() + 1
    for year in (2100, next_year + 1, 2015):
        response = put(client, "132012", "disaster", year, {"stage": "planned", "version": 0}, **auth)
        assert response.status_code == 422 and "年度は" in response.json()["detail"]["fiscal_year"]
    assert put(client, "132012", "disaster", next_year, {"stage": "planned", "version": 0}, **auth).status_code == 200
    admin = bearer(users["admin"])
    imported = client.post("/api/v1/progress/import", {"file": SimpleUploadedFile("y.csv", csv_file(["132012,health,2100,planned,,"])),
                                                       "dry_run": "false"}, **admin)
    assert imported.status_code == 422
    assert imported.json()["errors"][0]["column"] == "年度" and "2100" in imported.json()["errors"][0]["message"]
    settings.PROGRESS_FIRST_FISCAL_YEAR = 2020
    assert put(client, "132012", "disaster", 2019, {"stage": "planned", "version": 0}, **auth).status_code == 422
    assert set(records()) == {("132012", "disaster", next_year)}


def test_national_admin_deletes_a_wrong_record_with_history(client, client_for, users, records):
    from chiiki.core.models import ChangeRecord

    put(client, "132012", "disaster", 2026, {"stage": "planned", "version": 0}, **bearer(users["hachioji"]))
    url = "/api/v1/progress/132012/disaster/2026"
    assert client.delete(url + "?version=1", **bearer(users["hachioji"])).status_code == 403
    assert client.delete(url + "?version=1").status_code == 401
    stale = client.delete(url + "?version=7", **bearer(users["admin"]))
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 1
    assert client.delete(url + "?version=1", **bearer(users["admin"])).status_code == 204
    assert records() == {}
    entry = ChangeRecord.objects.filter(model="progress.progressrecord").latest("id")
    assert entry.action == "delete" and entry.before["stage"] == "planned" and entry.actor == users["admin"]
    assert client.delete(url + "?version=1", **bearer(users["admin"])).status_code == 404
    # The same through the page: the records list links admins to a confirmation, POST deletes.
    put(client, "132012", "health", 2026, {"stage": "planned", "version": 0}, **bearer(users["hachioji"]))
    admin = client_for(users["admin"])
    listing = admin.get("/progress/records/?fiscal_year=2026&municipality=132012").content.decode()
    assert "/progress/records/132012/health/2026/delete" in listing
    assert "/delete" not in client_for(users["tokyo"]).get("/progress/records/?fiscal_year=2026").content.decode()
    assert client_for(users["tokyo"]).get("/progress/records/132012/health/2026/delete").status_code == 403
    confirm = admin.get("/progress/records/132012/health/2026/delete")
    assert confirm.status_code == 200 and "削除する" in confirm.content.decode()
    done = admin.post("/progress/records/132012/health/2026/delete", {"version": "1"})
    assert done.status_code == 302 and records() == {}


def test_anonymous_writes_are_401_even_when_csrf_is_enforced(users):
    """Hardening finding 9: a caller with neither token nor session is unauthenticated (401), not a CSRF failure."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for response in (
        strict.put("/api/v1/progress/132012/disaster/2026", data=json.dumps({"stage": "planned", "version": 0}),
                   content_type="application/json"),
        strict.delete("/api/v1/progress/132012/disaster/2026?version=1"),
        strict.post("/api/v1/progress/import", {"file": SimpleUploadedFile("x.csv", b"a")}),
    ):
        assert response.status_code == 401 and response.json() == {"detail": "認証が必要です（APIトークンまたはログイン）"}
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(users["hachioji"])
    no_token = signed_in.put("/api/v1/progress/132012/disaster/2026",
                             data=json.dumps({"stage": "planned", "version": 0}), content_type="application/json")
    assert no_token.status_code == 403 and no_token.json()["detail"].startswith("CSRFトークンがありません")


@pytest.mark.parametrize("field", ["note", "evidence_url"])
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_refused_on_a_single_edit(client, client_for, users, records, field, character):
    """Hardening finding 5: NUL and other control characters give a Japanese 422 on every engine, never a 500."""
    value = f"備考{character}です" if field == "note" else f"https://example.jp/{character}"
    response = put(client, "132012", "disaster", 2026, {"stage": "planned", field: value, "version": 0},
                   **bearer(users["hachioji"]))
    assert response.status_code == 422 and "制御文字" in response.json()["detail"][field]
    page = client_for(users["hachioji"]).post("/progress/entry/132012/disaster/",
                                              {"fiscal_year": "2026", "stage": "planned", field: value, "version": "0"})
    assert page.status_code == 422 and "制御文字" in page.content.decode()
    assert records() == {}


def test_tabs_and_line_breaks_stay_in_a_note(client, users, records):
    response = put(client, "132012", "disaster", 2026, {"stage": "planned", "note": "1行目\n\t2行目", "version": 0},
                   **bearer(users["hachioji"]))
    assert response.status_code == 200 and response.json()["note"] == "1行目\n\t2行目"


def test_entry_form_refuses_a_missing_or_malformed_version(client_for, users, records):
    """Hardening finding 8 on the page: the htmx entry row answers with the Japanese error and writes nothing."""
    page = client_for(users["hachioji"])
    for version in ("", "x", None):
        form = {"fiscal_year": "2026", "stage": "planned", "note": "", "evidence_url": ""}
        if version is not None:
            form["version"] = version
        response = page.post("/progress/entry/132012/disaster/", form)
        assert response.status_code == 422 and "版（version）" in response.content.decode()
    assert records() == {}
