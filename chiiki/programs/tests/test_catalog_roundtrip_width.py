"""A catalog exported and imported back changes nothing, whatever width the page saved its text in."""

from chiiki.programs.models import SupportProgram

from .test_admin import export_csv, upload
from .test_import_versions import _edit_on_its_page


def test_a_catalog_exported_and_imported_back_keeps_full_width_text(client_for, catalog, users):
    admin = client_for(users["admin"])
    edited = _edit_on_its_page(users["admin"], client_for, "MIC-ICT-ADVISOR", summary="年間１０回まで　派遣します")
    preview = upload(admin, export_csv(admin), confirm=False).content.decode()
    assert "新規 <strong>0</strong>件・更新 <strong>0</strong>件・変更なし 25件" in preview, preview[-3000:]
    stored = SupportProgram.objects.get(pk=edited.pk)
    assert (stored.summary, stored.version) == ("年間１０回まで　派遣します", edited.version)
