"""The change history of a 派遣依頼 holds what was written (目指す姿, 実装計画のURL, 希望時期, the report, the 評価コメント)
and what happened to it when the person it named left."""

import pytest
from django.utils import timezone

from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.models import TalentRequest

from .conftest import move, request_data

pytestmark = pytest.mark.django_db


def _records(request):
    return ChangeRecord.objects.filter(model="talent.talentrequest", object_id=str(request.pk)).order_by("at", "pk")


def test_editing_a_draft_request_records_the_changed_fields(users, client_for, hachioji_request):
    item = hachioji_request
    client = client_for(users["hachioji"])
    response = client.post(f"/talent/requests/{item.pk}/edit", {
        **request_data(vision="観光客と住民が混雑を避けて移動できる町にする", plan_url="https://example.jp/plan.pdf",
                       organisation="八王子市観光協会", preferred_from="2026-06-01", preferred_to="2026-09-30"),
        "version": str(item.version)})
    assert response.status_code == 302
    record = _records(item).filter(action="update").last()
    for field, old, new in [("vision", "独居高齢者が安心して暮らせる町にする", "観光客と住民が混雑を避けて移動できる町にする"),
                            ("plan_url", "", "https://example.jp/plan.pdf"), ("organisation", "", "八王子市観光協会"),
                            ("preferred_from", None, "2026-06-01"), ("preferred_to", None, "2026-09-30")]:
        assert (record.before[field], record.after[field]) == (old, new), field
    page = client.get(f"/history/{record.pk}/").content.decode()
    assert "観光客と住民が混雑を避けて移動できる町にする" in page and "八王子市観光協会" in page


def test_the_report_and_the_rating_comment_are_in_history(users, client_for, hachioji_request, advisor_profile,
                                                            rounds):
    r = hachioji_request
    move(r, "submit", users["hachioji"])
    move(r, "receive", users["admin"])
    move(r, "ask", users["admin"], talent=advisor_profile)
    move(r, "accept", users["advisor"])
    r.refresh_from_db()
    actions.add_visit(users["advisor"], r, date=timezone.localdate(), hours="3", mode="onsite", version=r.version)
    r.refresh_from_db()
    assert client_for(users["advisor"]).post(f"/talent/requests/{r.pk}/report", {
        "done": "センサーを試験設置した", "handed_over_to": "福祉課の山田さんに設定手順を引き継いだ",
        "next_steps": "全戸展開", "version": r.version}).status_code == 302
    r.refresh_from_db()
    assert client_for(users["hachioji"]).post(f"/talent/requests/{r.pk}/rate", {
        "rating": "2", "comment": "連絡が遅かった", "version": r.version}).status_code == 302
    report = ChangeRecord.objects.get(model="talent.dispatchreport", action="create")
    assert report.after["done"] == "センサーを試験設置した" and report.municipality_id == "132012"
    assert report.after["handed_over_to"] == "福祉課の山田さんに設定手順を引き継いだ"
    rated = _records(r).last()
    assert rated.before["rating_comment"] == "" and rated.after["rating_comment"] == "連絡が遅かった"
    own = client_for(users["hachioji"]).get("/history/", {"model": "talent.dispatchreport"}).content.decode()
    assert "センサーを試験設置した" in own


def test_deleting_a_profile_records_the_change_of_the_requests_that_named_it(users, client_for, hachioji_request,
                                                                              advisor_profile, rounds):
    r = hachioji_request
    move(r, "submit", users["hachioji"])
    move(r, "receive", users["admin"])
    move(r, "ask", users["admin"], talent=advisor_profile)
    before = _records(r).count()
    advisor_profile.refresh_from_db()
    response = client_for(users["advisor"]).post(f"/talent/profiles/{advisor_profile.pk}/delete",
                                                 {"version": str(advisor_profile.version)})
    assert response.status_code == 302
    r = TalentRequest.objects.get(pk=r.pk)
    assert r.talent_id is None and r.talent_label == "（削除された人材）"
    records = _records(r)
    assert records.count() == before + 2  # 依頼中 → 辞退 (nobody is left to answer), then the talent unlinked
    assert (records.last().before, records.last().after) == ({"talent_id": advisor_profile.pk}, {"talent_id": None})
    assert records.last().municipality_id == "132012"
    assert advisor_profile.display_name not in str(list(records.values_list("before", "after", "object_repr")))
