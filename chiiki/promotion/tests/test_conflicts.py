"""Someone else saved first: the organisation, event and weights forms answer 409 with what this user typed still in
the fields, the other person's saved values beside them, and the stored version, so that saving again overwrites on
purpose. The refused post writes nothing."""

import re

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.promotion import actions
from chiiki.promotion.models import Event, Organisation, ScoringWeights

from .test_events import event_body
from .test_organisations import org_body

pytestmark = pytest.mark.django_db


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def _changes(model: str) -> int:
    return ChangeRecord.objects.filter(model=model).count()


def test_organisation_conflict_keeps_the_typed_values(client_for, users):
    org = actions.save_organisation(users["admin"], None, org_body())
    actions.save_organisation(users["admin"], org, org_body(name="株式会社サンプル（改称）", kind="company"), version=1)
    admin = client_for(users["admin"])
    url = f"/promotion/organisations/{org.pk}/edit"
    before = _changes("promotion.organisation")
    mine = {**org_body(name="私が直した名前", website="https://mine.example.jp"), "version": "1"}
    stale = admin.post(url, mine)
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html and "data-error-summary" in html
    assert 'value="私が直した名前"' in html and 'value="https://mine.example.jp"' in html
    assert "ほかの人が保存した内容:</span> 株式会社サンプル（改称）" in html
    assert "ほかの人が保存した内容:</span> 企業" in html  # the kind by its label
    assert "ほかの人が保存した内容:</span> https://example.jp" in html
    assert _version(html) == "2" and _changes("promotion.organisation") == before
    org.refresh_from_db()
    assert (org.name, org.version) == ("株式会社サンプル（改称）", 2)
    assert admin.post(url, {**mine, "version": _version(html)}).status_code == 302
    org = Organisation.objects.get(pk=org.pk)
    assert (org.name, org.website, org.version) == ("私が直した名前", "https://mine.example.jp", 3)


def test_event_conflict_keeps_the_typed_values(client_for, users):
    officer = users["hachioji"]
    event = actions.save_event(officer, None, event_body())
    actions.save_event(officer, event, event_body(description="ほかの人の説明", capacity=30), version=1)
    url = f"/promotion/events/{event.pk}/edit"
    before = _changes("promotion.event")
    mine = {**event_body(description="私が書いた長い説明", capacity=""), "version": "1"}
    stale = client_for(officer).post(url, mine)
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    # Django writes a newline after <textarea> (HTML drops it): the text is what was typed
    assert "\n私が書いた長い説明</textarea>" in html and "ほかの人が保存した内容:</span> ほかの人の説明" in html
    assert "ほかの人が保存した内容:</span> 30" in html
    assert _version(html) == "2" and _changes("promotion.event") == before
    assert client_for(officer).post(url, {**mine, "version": "2"}).status_code == 302
    event = Event.objects.get(pk=event.pk)
    assert (event.description, event.capacity, event.version) == ("私が書いた長い説明", None, 3)


def test_weights_conflict_keeps_the_typed_values(client_for, users):
    weights = {"max_population": "300000", "implemented_weight": "40", "progress_weight": "30",
               "commitment_weight": "30", "plans_weight": "20"}
    actions.save_weights(users["admin"], {**weights, "plans_weight": "25"}, version=0)
    admin = client_for(users["admin"])
    before = _changes("promotion.scoringweights")
    stale = admin.post("/promotion/manage/weights", {**weights, "implemented_weight": "55", "version": "0"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert 'name="implemented_weight" value="55"' in html and "ほかの人が保存した内容:</span> 25" in html
    assert _version(html) == "1" and _changes("promotion.scoringweights") == before
    assert admin.post("/promotion/manage/weights", {**weights, "implemented_weight": "55",
                                                    "version": "1"}).status_code == 302
    stored = ScoringWeights.objects.get()
    assert (stored.implemented_weight, stored.plans_weight, stored.version) == (55, 20, 2)
