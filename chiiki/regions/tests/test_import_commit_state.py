"""A web figure import's commit writes only over the register its preview showed: an officer's save between the
preview and the commit refuses the commit (the fresh preview then imports), as the progress import does."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki.regions import actions
from chiiki.regions.models import Municipality
from chiiki.testing import import_commit_form

pytestmark = pytest.mark.django_db

URL = "/regions/import/fiscal-indices/"


def _previewed(web, data: bytes):
    upload = web.post(URL, {"file": SimpleUploadedFile("indices.csv", data), "fiscal_year": "2022",
                            "code_column": "団体コード"})
    assert upload.status_code == 302, upload.content.decode()
    html = web.get(upload["Location"]).content.decode()
    token = upload["Location"].rstrip("/").split("/")[-1]
    return token, html, import_commit_form(html)


def test_an_officers_save_between_the_preview_and_the_commit_refuses_the_commit(users, register, client_for):
    web = client_for(users["admin"])
    data = "団体コード,財政力指数\n132012,0.88\n".encode()
    token, _html, sha = _previewed(web, data)
    # The officer sets the 財政力指数 on the municipality's page after the admin looked at the preview.
    actions.update_municipality_attributes(users["hachioji"], Municipality.objects.get(pk="132012"),
                                           {"fiscal_strength_index": "0.91"}, 1)

    refused = web.post(f"{URL}{token}/commit", sha, follow=True)

    hachioji = Municipality.objects.get(pk="132012")
    assert (hachioji.fiscal_strength_index, hachioji.version) == (Decimal("0.91"), 2)
    assert "確認の後に、このファイルの団体の登録内容が更新されました" in refused.content.decode()
    # The fresh preview shows the officer's value and its commit imports.
    token, _html, sha = _previewed(web, data)
    web.post(f"{URL}{token}/commit", sha)
    hachioji.refresh_from_db()
    assert (hachioji.fiscal_strength_index, hachioji.version) == (Decimal("0.88"), 3)


def test_a_commit_with_nothing_saved_since_the_preview_imports(users, register, client_for):
    web = client_for(users["admin"])
    token, _html, sha = _previewed(web, "団体コード,財政力指数\n132012,0.88\n".encode())

    web.post(f"{URL}{token}/commit", sha)

    assert Municipality.objects.get(pk="132012").fiscal_strength_index == Decimal("0.88")
