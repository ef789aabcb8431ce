"""The one import pipeline, through its web flow (population, area, progress) and the shared action signature."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chiiki.core.models import ChangeRecord, ImportUpload
from chiiki.regions.models import Municipality
from chiiki.testing import import_commit_form

POPULATION = "団体コード,市区町村名,人口\r\n13101,千代田区,\"66,680\"\r\n13201,八王子市,579355\r\n13000,東京都,1\r\n"


def upload(client, url, content: bytes, name="data.csv", **fields):
    response = client.post(url, {"file": SimpleUploadedFile(name, content), **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def commit(client, preview_url):
    return client.post(preview_url + "commit", import_commit_form(client.get(preview_url).content.decode()))


def test_national_admin_imports_population_on_the_web(client_for, users):
    admin = client_for(users["admin"])
    page = admin.get("/regions/import/population/")
    assert page.status_code == 200 and "人口の取込" in page.content.decode()
    preview_url = upload(admin, "/regions/import/population/", POPULATION.encode("cp932"), year="2020",
                         code_column="団体コード", population_column="人口", data_source="令和2年国勢調査")
    html = admin.get(preview_url).content.decode()
    assert "更新 <strong>2</strong>件" in html and "読み飛ばし 1行" in html
    assert Municipality.objects.get(code="131016").population is None  # the preview writes nothing
    done = commit(admin, preview_url)
    assert done.status_code == 302 and done["Location"] == "/regions/"
    chiyoda = Municipality.objects.get(code="131016")
    assert (chiyoda.population, chiyoda.population_year, chiyoda.population_source) == (66680, 2020, "令和2年国勢調査")
    entry = ChangeRecord.objects.get(object_id="131016", model="regions.municipality")
    assert entry.source == "web-import" and entry.actor == users["admin"] and entry.after["population"] == 66680
    assert not ImportUpload.objects.exists()  # a committed upload is deleted


def test_the_uploaded_file_is_stored_compressed_and_committed_as_uploaded(client_for, users):
    """A 7 MB survey sent to PostgreSQL as bytea raised a worker's peak memory by ~57 MB; compressed it is small."""
    import zlib

    admin = client_for(users["admin"])
    content = ("コード,人口,備考\r\n131016,67999," + "人口は令和2年国勢調査による" * 500 + "\r\n").encode()
    preview_url = upload(admin, "/regions/import/population/", content, year="2020", code_column="コード",
                         population_column="人口", data_source="")
    stored = ImportUpload.objects.get()
    assert stored.compressed and len(bytes(stored.content)) < len(content) // 5
    assert zlib.decompress(bytes(stored.content)) == content
    assert "更新 <strong>1</strong>件" in admin.get(preview_url).content.decode()
    assert commit(admin, preview_url).status_code == 302
    assert Municipality.objects.get(code="131016").population == 67999


def test_an_upload_stored_uncompressed_before_the_change_still_commits(client_for, users):
    admin = client_for(users["admin"])
    content = "コード,面積\r\n131016,11.66\r\n".encode()
    preview_url = upload(admin, "/regions/import/area/", content, code_column="コード", area_column="面積",
                         data_source="")
    ImportUpload.objects.update(content=content, compressed=False)
    assert commit(admin, preview_url).status_code == 302
    assert str(Municipality.objects.get(code="131016").area_km2) == "11.66"


def test_national_admin_imports_area_on_the_web(client_for, users):
    admin = client_for(users["admin"])
    preview_url = upload(admin, "/regions/import/area/", "コード,面積\r\n131016,11.66\r\n".encode(),
                         code_column="コード", area_column="面積", data_source="")
    assert commit(admin, preview_url).status_code == 302
    chiyoda = Municipality.objects.get(code="131016")
    assert str(chiyoda.area_km2) == "11.66" and chiyoda.area_source == "国土地理院「全国都道府県市区町村別面積調」"


@pytest.mark.parametrize("who, status", [(None, 404), ("tokyo", 403), ("hachioji", 403), ("advisor", 403)])
def test_register_imports_are_for_the_national_admin_only(client_for, users, who, status):
    client = client_for(users[who] if who else None)
    for url in ("/regions/import/population/", "/regions/import/area/", "/regions/import/fiscal-indices/"):
        assert client.get(url).status_code == status
        response = client.post(url, {"file": SimpleUploadedFile("p.csv", POPULATION.encode()), "year": "2020",
                                     "code_column": "団体コード", "population_column": "人口"})
        assert response.status_code == status
    assert not ImportUpload.objects.exists()


def test_a_rejected_file_keeps_only_its_problems_and_cannot_be_committed(client_for, users):
    admin = client_for(users["admin"])
    bad = "団体コード,人口\r\n13101,abc\r\n99999,5\r\n".encode()
    preview_url = upload(admin, "/regions/import/population/", bad, year="2020", code_column="団体コード",
                         population_column="人口")
    html = admin.get(preview_url).content.decode()
    assert "2件の誤り" in html and "取り込む</button>" not in html
    stored = ImportUpload.objects.get()
    assert bytes(stored.content) == b"" and len(stored.problems) == 2  # the file itself is gone at once
    token = preview_url.rstrip("/").split("/")[-1]
    report = admin.get(f"/regions/import/population/{token}/report").content.decode("utf-8-sig").splitlines()
    assert report[0] == "行,列,値,内容"
    assert report[1].startswith("2,人口,abc,") and report[2].startswith("3,団体コード,99999,")
    xlsx = admin.get(f"/regions/import/population/{token}/report?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    refused = admin.post(preview_url + "commit", {"sha256": stored.sha256})
    assert refused.status_code == 302 and refused["Location"] == "/regions/import/population/"
    assert not Municipality.objects.exclude(population=None).exists()


def test_uploads_expire_and_belong_to_one_user_and_one_importer(client_for, users):
    admin = client_for(users["admin"])
    preview_url = upload(admin, "/regions/import/population/", POPULATION.encode(), year="2020",
                         code_column="団体コード", population_column="人口")
    token = preview_url.rstrip("/").split("/")[-1]
    assert admin.get(f"/progress/import/{token}/").status_code == 404  # another importer's token
    other_admin = users["admin"].__class__.objects.create_user("admin2", role="national_admin", password="x-x-x-x-1")
    assert client_for(other_admin).get(preview_url).status_code == 404  # another user's upload
    ImportUpload.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert admin.get(preview_url).status_code == 404
    admin.post("/regions/import/population/", {"file": SimpleUploadedFile("p.csv", POPULATION.encode()),
                                               "year": "2020", "code_column": "団体コード", "population_column": "人口"})
    assert ImportUpload.objects.count() == 1  # the expired one was purged by the next upload


def test_upload_form_refuses_empty_and_foreign_files_in_japanese(client_for, users):
    admin = client_for(users["admin"])
    empty = admin.post("/progress/import/", {"file": SimpleUploadedFile("x.csv", b"")})
    assert empty.status_code == 400 and "ファイルが空です" in empty.content.decode()
    pdf = admin.post("/progress/import/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")})
    assert pdf.status_code == 400 and "CSV（.csv）または XLSX（.xlsx）" in pdf.content.decode()
    assert not ImportUpload.objects.exists()


def test_mypage_links_the_national_admin_to_the_register_imports(client_for, users):
    html = client_for(users["admin"]).get("/accounts/mypage/").content.decode()
    assert 'href="/regions/import/population/"' in html and 'href="/regions/import/area/"' in html
    assert "/regions/import/" not in client_for(users["tokyo"]).get("/accounts/mypage/").content.decode()


def test_an_import_that_runs_out_of_time_stops_and_writes_nothing(client_for, users, settings, tmp_path):
    """Hardening: a request past its time budget stops its work (API, web preview and command alike)."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.IMPORT_TIME_BUDGET = -1  # already spent: the first check stops the work
    data = "団体コード,分野,年度,段階\r\n132012,disaster,2026,planned\r\n".encode()
    response = client_for(users["admin"]).post("/api/v1/progress/import", {"file": SimpleUploadedFile("p.csv", data)})
    assert response.status_code == 422 and "処理時間の上限" in response.json()["errors"][0]["message"]
    preview_url = upload(client_for(users["admin"]), "/regions/import/population/", POPULATION.encode(), year="2020",
                         code_column="団体コード", population_column="人口")
    assert "処理時間の上限" in client_for(users["admin"]).get(preview_url).content.decode()
    errors = StringIO()
    with pytest.raises(CommandError, match="何も取り込みませんでした"):
        call_command("import_progress", _write(tmp_path, data), stderr=errors)
    assert "処理時間の上限" in errors.getvalue()
    assert not Municipality.objects.exclude(population=None).exists()
    assert not ChangeRecord.objects.exists()


def _write(tmp_path, data: bytes) -> str:
    path = tmp_path / "progress.csv"
    path.write_bytes(data)
    return str(path)
