"""Loading the 8 roadmap sectors and their models from data/sectors.csv (REFERENCE_LOADERS contract)."""

from pathlib import Path

from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.core.commands import NullOut, ProgressBar
from chiiki.core.errors import DataFileError
from chiiki.core.tabular import read_reference_csv

from .models import Sector, SectorModel

SECTORS_FILE = "sectors.csv"
COLUMNS = ["code", "name", "name_en", "models", "note"]
SECTOR_FIELDS = ["name", "name_en", "note", "order"]


def parse_sectors(path: Path) -> list[dict]:
    rows = read_reference_csv(path, COLUMNS)
    sectors, seen_codes, seen_names = [], {}, {}
    for order, (number, row) in enumerate(rows):
        code = row["code"]
        if not code or not code.replace("_", "").isalnum() or not code.isascii():
            raise DataFileError(f"分野コードは半角英数字と _ です: {code!r}", path=path, row=number, column="code")
        if code in seen_codes:
            raise DataFileError(f"分野コード {code} が重複しています（{seen_codes[code]}行目）", path=path, row=number,
                                column="code")
        if not row["name"]:
            raise DataFileError("分野名が空です", path=path, row=number, column="name")
        if row["name"] in seen_names:
            raise DataFileError(f"分野名 {row['name']} が重複しています", path=path, row=number, column="name")
        seen_codes[code], seen_names[row["name"]] = number, number
        models = [m.strip() for m in row["models"].split(";") if m.strip()]
        if len(set(models)) != len(models):
            raise DataFileError("同じモデル名が複数あります", path=path, row=number, column="models")
        sectors.append({"code": code, "name": row["name"], "name_en": row["name_en"], "note": row["note"],
                        "order": order, "models": models})
    if not sectors:
        raise DataFileError("分野が1件もありません", path=path)
    return sectors


def _model_state(model: SectorModel) -> dict:
    return {"sector_id": model.sector_id, "name": model.name, "order": model.order}


def load(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
         actor=access.SYSTEM) -> str:
    """Create/update sectors and their models; remove models no longer listed (idempotent)."""
    stdout = stdout or NullOut()
    path = Path(data_dir) / SECTORS_FILE
    sectors = parse_sectors(path)
    bar = ProgressBar(stdout, len(sectors), "分野", enabled=progress)
    created = updated = models_changed = 0
    records = []
    with transaction.atomic():
        existing = {s.code: s for s in Sector.objects.all()}
        for values in sectors:
            fields = {k: values[k] for k in SECTOR_FIELDS}
            sector = existing.get(values["code"])
            if sector is None:
                sector = Sector.objects.create(code=values["code"], **fields)
                records.append(history.change_record(actor, "create", sector, None, {"code": sector.code, **fields},
                                                     source=history.REFERENCE))
                created += 1
            else:
                before = {k: getattr(sector, k) for k in SECTOR_FIELDS if getattr(sector, k) != fields[k]}
                if before:
                    for k in before:
                        setattr(sector, k, fields[k])
                    sector.save(update_fields=list(before))
                    records.append(history.change_record(actor, "update", sector, before,
                                                         {k: fields[k] for k in before}, source=history.REFERENCE))
                    updated += 1
            current = {m.name: m for m in sector.models.all()}
            for order, name in enumerate(values["models"]):
                model = current.pop(name, None)
                if model is None:
                    model = SectorModel.objects.create(sector=sector, name=name, order=order)
                    records.append(history.change_record(actor, "create", model, None, _model_state(model),
                                                         source=history.REFERENCE))
                    models_changed += 1
                elif model.order != order:
                    records.append(history.change_record(actor, "update", model, {"order": model.order},
                                                         {"order": order}, source=history.REFERENCE))
                    model.order = order
                    model.save(update_fields=["order"])
                    models_changed += 1
            for stale in current.values():
                records.append(history.change_record(actor, "delete", stale, _model_state(stale), None,
                                                     source=history.REFERENCE))
                stale.delete()
                models_changed += 1
            bar.advance()
        history.record_many(records)
        if created or updated or models_changed:
            history.bump("roadmap")
    bar.finish()
    model_count = sum(len(s["models"]) for s in sectors)
    summary = f"分野: {len(sectors)}分野・モデル{model_count}件を確認、新規{created}件・更新{updated}件・モデルの変更{models_changed}件"
    if not (created or updated or models_changed):
        summary += "（変更なし）"
    return summary
