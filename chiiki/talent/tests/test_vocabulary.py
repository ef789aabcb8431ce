"""data/capabilities.csv through load_reference's loader: coverage of every sector model, ids, admin edits."""

import csv
import shutil

import pytest
from django.core.exceptions import PermissionDenied

from chiiki.core.errors import Conflict, DataFileError, Invalid
from chiiki.core.models import ChangeRecord
from chiiki.roadmap.models import SectorModel
from chiiki.talent import actions, indexing
from chiiki.talent.models import Capability
from chiiki.talent.reference import load_capabilities

from .conftest import DATA


def test_the_file_covers_every_sector_model_and_the_named_needs(vocabulary):
    assert 60 <= Capability.objects.count() <= 100
    covered = {m for c in Capability.objects.all() for m in c.sector_models.split(";") if m}
    assert set(SectorModel.objects.values_list("name", flat=True)) <= covered
    labels = set(Capability.objects.values_list("label", flat=True))
    for need in ("情報セキュリティ対策を点検できる", "データ利活用の計画を立てられる", "補助金の申請書を作成できる",
                 "庁内の業務改革（BPR）を進められる", "コメディカル職のICT活用を研修できる",
                 "プログラミング教育の外部講師として授業を行える"):
        assert need in labels
    assert set(Capability.objects.values_list("sector", flat=True)) == {
        "education", "health", "work", "disaster", "agriculture", "business", "tourism", "public_private", "common"}


def test_loading_twice_changes_nothing(vocabulary):
    before = ChangeRecord.objects.count()
    assert load_capabilities(data_dir=DATA) == "できること: 78件（新規0件・更新0件）"
    assert ChangeRecord.objects.count() == before


def _copy(tmp_path, edit):
    shutil.copy(DATA / "sectors.csv", tmp_path / "sectors.csv")
    with (DATA / "capabilities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows = edit(rows)
    with (tmp_path / "capabilities.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "sector", "label", "synonyms", "models"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def test_a_sector_model_without_capability_is_refused(vocabulary, tmp_path):
    data_dir = _copy(tmp_path, lambda rows: [r for r in rows if "鳥獣害対策" not in r["models"]])
    with pytest.raises(DataFileError) as exc:
        load_capabilities(data_dir=data_dir)
    assert "できることが1件もない分野別モデルがあります: 鳥獣害対策" in str(exc.value)


@pytest.mark.parametrize("edit,message", [
    (lambda rows: rows + [dict(rows[0])], "ID CAP-EDU-01 が重複しています（2行目）"),
    (lambda rows: [dict(rows[0], sector="space")] + rows[1:], "分野コードが正しくありません: 'space'"),
    (lambda rows: [dict(rows[0], id="EDU1")] + rows[1:], "IDは CAP-XXX-00 の形です"),
])
def test_bad_rows_are_named(vocabulary, tmp_path, edit, message):
    with pytest.raises(DataFileError) as exc:
        load_capabilities(data_dir=_copy(tmp_path, edit))
    assert message in str(exc.value)


def test_admin_edits_label_with_history_and_search_follows(users, vocabulary):
    cap = Capability.objects.get(pk="CAP-AGR-07")
    with pytest.raises(PermissionDenied):
        actions.save_capability(users["tokyo"], cap, label="x", synonyms="", version=1)
    actions.save_capability(users["admin"], cap, label="ICTで鳥獣被害を減らせる", synonyms="わな;ジビエ", version=1)
    cap.refresh_from_db()
    assert (cap.label, cap.synonyms, cap.version) == ("ICTで鳥獣被害を減らせる", "わな;ジビエ", 2)
    record = ChangeRecord.objects.filter(model="talent.capability", object_id="CAP-AGR-07").order_by("id").last()
    assert record.before["label"] == "ICTを使った鳥獣被害対策を導入できる" and record.actor_label == "admin"
    assert indexing.suggest("ジビエ")[0].pk == "CAP-AGR-07"
    with pytest.raises(Conflict):
        actions.save_capability(users["admin"], cap, label="古い版", synonyms="", version=1)
    with pytest.raises(Invalid):
        actions.save_capability(users["admin"], cap, label="", synonyms="", version=2)
    # The admin's wording survives a reload of the file (not with --force).
    load_capabilities(data_dir=DATA)
    assert Capability.objects.get(pk="CAP-AGR-07").label == "ICTで鳥獣被害を減らせる"
    load_capabilities(data_dir=DATA, force=True)
    assert Capability.objects.get(pk="CAP-AGR-07").label == "ICTを使った鳥獣被害対策を導入できる"


def test_a_model_dropped_from_the_roadmap_is_left_out_not_fatal(vocabulary, tmp_path):
    data_dir = _copy(tmp_path, lambda rows: [dict(rows[0], models="プログラミング教育;宇宙開発")] + rows[1:])
    summary = load_capabilities(data_dir=data_dir)
    assert summary.endswith("data/sectors.csv にない分野別モデルを除きました: 宇宙開発")
    assert Capability.objects.get(pk="CAP-EDU-01").sector_models == "プログラミング教育"


@pytest.mark.parametrize("text,expected", [
    ("見守りセンサーを入れられる人", "CAP-HLT-07"),
    ("GIGAスクールの端末整備ができる人", "CAP-EDU-05"),
    ("オープンデータを公開できる人", "CAP-PPP-01"),
    ("セキュリティを点検できる人", "CAP-COM-01"),
    ("テレワークを職員に導入できる人", "CAP-WRK-01"),
    ("ドローンで農薬散布", "CAP-AGR-03"),
])
def test_free_text_suggests_vocabulary(vocabulary, text, expected):
    assert indexing.suggest(text)[0].pk == expected


def test_nothing_matches_gives_no_suggestion(vocabulary):
    assert indexing.suggest("ができる人") == []
    assert indexing.suggest("量子暗号") == []
