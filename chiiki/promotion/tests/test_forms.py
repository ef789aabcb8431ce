"""The promotion forms (forms.py) through the real views: a refused form comes back with everything typed, each
reason on its field in the action's Japanese (the same words the API gives: the forms refuse nothing themselves),
and nothing is written."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord
from chiiki.promotion import actions
from chiiki.promotion.models import Challenge, Event, Organisation

from .conftest import bearer, send
from .test_events import event_body
from .test_organisations import org_body

pytestmark = pytest.mark.django_db


def _field(html: str, ident: str) -> str:
    """The opening tag of the element with that id."""
    return re.search(rf'<[^>]*\bid="{ident}"[^>]*>', html).group(0)


def _error(html: str, name: str) -> str:
    return re.search(rf'<ul class="errorlist" id="id_{name}_error"><li>([^<]+)</li>', html).group(1)


def test_a_refused_event_comes_back_with_what_was_typed(client_for, users):
    officer = client_for(users["hachioji"])
    body = {**event_body(ends_at=event_body()["starts_at"], capacity="40", sectors=["agriculture", "health"]),
            "description": "農業センサーの説明\r\n二行目"}
    response = officer.post("/promotion/events/new", body)
    html = response.content.decode()
    assert response.status_code == 422 and not Event.objects.exists()
    assert _error(html, "ends_at") == "終了日時は開始日時より後にしてください"
    ends = _field(html, "id_ends_at")
    assert 'aria-invalid="true"' in ends and 'aria-describedby="id_ends_at_error"' in ends
    assert f'value="{body["starts_at"]}"' in ends and 'type="datetime-local"' in ends
    assert 'value="スマート農業オンライン説明会"' in _field(html, "id_title")
    assert 'value="40"' in _field(html, "id_capacity") and "aria-invalid" not in _field(html, "id_title")
    assert "農業センサーの説明\r\n二行目</textarea>" in html
    for sector in ("agriculture", "health"):
        assert re.search(rf'<input type="checkbox" name="sectors" value="{sector}"[^>]*checked', html)
    assert not re.search(r'<input type="checkbox" name="sectors" value="education"[^>]*checked', html)
    assert re.search(r'<option value="municipality:132012" selected>', html)
    # The summary names the field with its label; a required field carries the attribute, optional ones say so
    assert "終了日時（日本時間）</a>: 終了日時は開始日時より後にしてください" in html
    assert " required" in _field(html, "id_title") and " required" not in _field(html, "id_venue")
    assert "会場（任意）" in html


def test_the_form_and_the_api_refuse_with_the_same_words(client, client_for, users):
    """A choice the form does not offer reaches the action, so the page says what the API says (not Django's own
    "正しく選択してください" for the select)."""
    bad = org_body(kind="nothing", prefecture="99", corporate_number="1234567890123", website="example")
    api = send(client, "post", "/api/v1/organisations", bad, **bearer(users["company"])).json()["detail"]
    page = client_for(users["company"]).post("/promotion/organisations/new", bad)
    html = page.content.decode()
    assert page.status_code == 422 and not Organisation.objects.exists()
    assert set(api) == {"kind", "prefecture", "corporate_number", "website"}
    for name, message in api.items():
        assert _error(html, name) == message and 'aria-invalid="true"' in _field(html, f"id_{name}")
    assert "正しく選択" not in html
    assert 'value="example"' in _field(html, "id_website") and 'value="株式会社サンプル"' in _field(html, "id_name")


def test_a_refused_commitment_keeps_the_typed_values(client_for, users):
    before = ChangeRecord.objects.count()
    response = client_for(users["hachioji"]).post("/promotion/m/132012/commitments/new", {
        "declared_on": "2099-01-01", "title": "市長が地域IoTの実装を表明", "document_url": "https://example.jp/koho"})
    html = response.content.decode()
    assert response.status_code == 422 and ChangeRecord.objects.count() == before
    assert _error(html, "declared_on") == "表明日に未来の日付は入力できません"
    assert 'value="2099-01-01"' in _field(html, "id_declared_on") and 'type="date"' in _field(html, "id_declared_on")
    assert 'value="市長が地域IoTの実装を表明"' in _field(html, "id_title")
    assert 'maxlength="200"' in _field(html, "id_title")


def test_a_proposal_refused_for_no_field_is_said_at_the_top(client_for, users):
    """The challenge closed while the company was writing: the refusal is about no field, and the form is gone
    from the page (nothing to propose to any more), so the reason is said above it."""
    org = actions.save_organisation(users["company"], None, org_body())
    assert org.members.filter(user=users["company"]).exists()
    day = timezone.localdate() + dt.timedelta(days=5)
    challenge = actions.save_challenge(SYSTEM, users["hachioji"].municipality, None, {
        "sector": "health", "title": "見守り", "problem": "p", "requirements": "r", "deadline": day.isoformat()})
    company = client_for(users["company"])
    url = challenge.get_absolute_url()
    assert 'id="id_summary"' in company.get(url).content.decode()
    Challenge.objects.filter(pk=challenge.pk).update(deadline=timezone.localdate() - dt.timedelta(days=1))
    response = company.post(url, {"action": "propose", "summary": "s", "approach": "a", "cost": "1", "team": "t"})
    html = response.content.decode()
    assert response.status_code == 422 and not challenge.proposals.exists()
    assert re.search(r'data-error-summary><li>この課題の提案の受付は終了しています</li>', html)
    assert 'id="id_summary"' not in html


@pytest.mark.parametrize("kind", ["event", "organisation"])
def test_the_edit_form_sent_back_unchanged_writes_nothing(client_for, users, kind):
    """What an edit form shows (initial_of) is what the action compares with: sending it back unchanged is no
    change — no new version, no history entry."""
    from chiiki.promotion import forms

    if kind == "event":
        row = actions.save_event(users["hachioji"], None, event_body(capacity="", venue="市役所", format="hybrid"))
        user, url, initial = users["hachioji"], f"/promotion/events/{row.pk}/edit", forms.EventForm.initial_of(row)
    else:
        row = actions.save_organisation(users["company"], None, org_body(prefecture=""))
        user, url = users["company"], f"/promotion/organisations/{row.pk}/edit"
        initial = forms.OrganisationForm.initial_of(row)
    before = ChangeRecord.objects.count()
    page = client_for(user).get(url).content.decode()
    assert f'name="version" value="{row.version}"' in page
    sent = client_for(user).post(url, {k: "" if v is None else v for k, v in initial.items()})
    assert sent.status_code == 302 and ChangeRecord.objects.count() == before
    row.refresh_from_db()
    assert row.version == 1
