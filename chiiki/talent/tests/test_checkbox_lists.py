"""Several 「できること」 or prefectures are chosen with checkboxes (Tab, Space), not a list box that needs Ctrl held:
the forms post the same names and values as before, so the actions and the API are unchanged."""

import re

import pytest

from chiiki.talent.models import TalentRequest

from .conftest import request_data

pytestmark = pytest.mark.django_db


def _boxes(html: str, name: str) -> dict[str, bool]:
    """value → checked for the checkboxes called name."""
    return {m.group(1): " checked" in m.group(0)
            for m in re.finditer(rf'<input type="checkbox" name="{name}" value="([^"]*)"[^>]*>', html)}


def test_the_request_form_offers_checkboxes_grouped_by_sector(users, client_for, vocabulary):
    client = client_for(users["hachioji"])
    html = client.get("/talent/requests/new").content.decode()
    assert "multiple" not in html  # no list box left
    required, desired = _boxes(html, "required"), _boxes(html, "desired")
    assert len(required) == len(desired) > 70 and "CAP-HLT-07" in required and not any(required.values())
    assert "<legend>必須のできること <span class=\"required\">必須</span></legend>" in html and "Ctrl" not in html
    # one folded group per sector (one Tab stop each while closed): nothing ticked, nothing open
    assert '<details class="checkbox-list__group"><summary>医療・介護・健康</summary>' in html
    assert "checkbox-list__group\" open" not in html

    refused = client.post("/talent/requests/new", {**request_data(vision=""), "required": ["CAP-HLT-07", "CAP-COM-03"],
                                                    "desired": ["CAP-EDU-01"]})
    html = refused.content.decode()
    assert refused.status_code == 422
    ticked = {k for k, v in _boxes(html, "required").items() if v}
    assert ticked == {"CAP-HLT-07", "CAP-COM-03"} and {k for k, v in _boxes(html, "desired").items() if v} == {
        "CAP-EDU-01"}
    # the groups holding a ticked item come back open, with their count
    assert '<details class="checkbox-list__group" open><summary>医療・介護・健康（1件選択）</summary>' in html
    assert html.count("checkbox-list__group\" open") == 3  # 医療 and 共通 (required), 教育 (desired)
    empty = client.post("/talent/requests/new", {**request_data(), "required": []}).content.decode()
    required_part = empty.split("<legend>必須のできること")[1].split("</fieldset>")[0]
    assert required_part.count('checkbox-list__group" open') == 1  # the first group, for focus to land in
    assert client.post("/talent/requests/new", {**request_data(), "required": ["CAP-HLT-07", "CAP-COM-03"],
                                                "desired": ["CAP-EDU-01"]}).status_code == 302
    item = TalentRequest.objects.get()
    assert sorted(item.required.values_list("pk", flat=True)) == ["CAP-COM-03", "CAP-HLT-07"]
    assert list(item.desired.values_list("pk", flat=True)) == ["CAP-EDU-01"]


def test_the_profile_form_offers_checkboxes_for_capabilities_and_prefectures(users, client_for, vocabulary):
    html = client_for(users["advisor"]).get("/talent/profiles/new").content.decode()
    assert "multiple" not in html and "Ctrl" not in html
    assert "CAP-HLT-07" in _boxes(html, "capabilities") and "13" in _boxes(html, "prefectures_served")
    assert "13" in _boxes(html, "uturn_prefectures")
    assert "<legend>対応できる都道府県</legend>" in html and "<legend>I・Uターンの希望先（あれば）</legend>" in html
    assert "<summary>関東</summary>" in html and "<summary>北海道・東北</summary>" in html  # by region
