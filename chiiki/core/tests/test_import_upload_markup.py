"""The upload page of the imports (進捗, 人口・面積・財政力指数), read from the HTML: every aria-describedby points
at an element of the page (help texts carry Django's <auto_id>_helptext id, a refusal its <auto_id>_error id)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def _dangling(page: str) -> list[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    return [f"{ref} (from {tag[:80]})" for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", page)
            for refs in re.findall(r'aria-describedby="([^"]*)"', tag) for ref in refs.split() if ref not in ids]


@pytest.mark.parametrize("url", ["/regions/import/population/", "/regions/import/area/",
                                 "/regions/import/fiscal-indices/"])
def test_the_help_of_each_option_is_on_the_page(client_for, users, url):
    response = client_for(users["admin"]).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "_helptext" in page
    assert _dangling(page) == []


@pytest.mark.parametrize("url", ["/progress/import/", "/regions/import/population/"])
def test_a_refused_file_is_described_by_its_message(client_for, users, url):
    response = client_for(users["admin"]).post(url, {"file": SimpleUploadedFile("survey.pdf", b"%PDF-1.7")})
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'<input type="file" [^>]*aria-describedby="[^"]*id_file_error', page)
    assert '<ul class="errorlist" id="id_file_error"><li>CSV（.csv）または XLSX（.xlsx）ファイルを選んでください</li></ul>' in page
    assert _dangling(page) == []
