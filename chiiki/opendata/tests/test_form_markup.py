"""The dataset and resource forms and the validator, read from the HTML: every aria-describedby points at an element
of the page (help texts carry Django's <auto_id>_helptext id), and a refused radio group is described by its message."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _dangling(page: str) -> list[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    return [f"{ref} (from {tag[:80]})" for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", page)
            for refs in re.findall(r'aria-describedby="([^"]*)"', tag) for ref in refs.split() if ref not in ids]


@pytest.mark.parametrize("who, url", [
    ("hachioji", "/opendata/manage/new"), ("hachioji", "/opendata/dataset/hachioji-aed/edit"),
    ("hachioji", "/opendata/dataset/hachioji-aed/resources"), (None, "/opendata/validate/")])
def test_every_described_by_points_at_an_element_of_the_page(client_for, users, catalog, who, url):
    response = client_for(users[who] if who else None).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "_helptext" in page  # the forms have help texts: the check below has something to check
    assert _dangling(page) == []


def test_a_refused_visibility_is_described_by_its_message(client_for, users, catalog):
    response = client_for(users["hachioji"]).post("/opendata/manage/new", {
        "owner": "m:132012", "name": "new-set", "title": "新しいデータ", "license": "cc-by-4.0", "frequency": "annual"})
    assert response.status_code == 422
    page = response.content.decode()
    fieldset = re.search(r"<fieldset\b[^>]*>(?:(?!</fieldset>).)*name=\"visibility\"", page, re.S)
    assert fieldset, "the visibility group is a fieldset"
    tag = re.match(r"<fieldset\b[^>]*>", fieldset.group(0)).group(0)
    assert 'aria-invalid="true"' in tag
    described = re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
    assert "id_visibility_error" in described
    assert re.search(r'<ul class="errorlist" id="id_visibility_error"><li>[^<]+</li></ul>', page)
    assert _dangling(page) == []
