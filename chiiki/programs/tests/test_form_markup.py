"""The catalog form, read from the HTML: every aria-describedby points at an element of the page, and a refused
checkbox group (分野) is described by its message."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _dangling(page: str) -> list[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    return [f"{ref} (from {tag[:80]})" for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", page)
            for refs in re.findall(r'aria-describedby="([^"]*)"', tag) for ref in refs.split() if ref not in ids]


@pytest.mark.parametrize("url", ["/programs/manage/new", "/programs/p/MIC-KOUDO-MUSEN/edit"])
def test_every_described_by_points_at_an_element_of_the_page(client_for, users, catalog, url):
    response = client_for(users["admin"]).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-describedby="id_id_helptext"' in page  # the help of the ID is read with it
    assert _dangling(page) == []


def test_a_refused_sector_choice_is_described_by_its_message(client_for, users, catalog):
    response = client_for(users["admin"]).post("/programs/manage/new", {"id": "NEW-ONE", "name": "新しい支援"})
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_sectors_error"><li>[^<]+</li></ul>', page)
    fieldset = re.search(r"<fieldset\b[^>]*>(?:(?!</fieldset>).)*name=\"sectors\"", page, re.S)
    tag = re.match(r"<fieldset\b[^>]*>", fieldset.group(0)).group(0)
    assert 'aria-invalid="true"' in tag
    assert "id_sectors_error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
    assert _dangling(page) == []
