"""Loading the 「できること」 vocabulary from data/capabilities.csv (REFERENCE_LOADERS contract).

The file is the source of ids, sectors, order and the 分野別モデル each item covers; labels and synonyms the national
admin edited on the site are kept unless --force (an edit is a newer decision than the file). Every sector model of
the roadmap must be covered by at least one item: a missing one is a file error naming the model.
"""

import re
from pathlib import Path

from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.core.commands import NullOut
from chiiki.core.errors import DataFileError
from chiiki.core.tabular import read_reference_csv
from chiiki.roadmap.models import Sector, SectorModel

from . import indexing
from .models import COMMON_SECTOR, Capability

CAPABILITIES_FILE = "capabilities.csv"
COLUMNS = ["id", "sector", "label", "synonyms", "models"]
_ID = re.compile(r"^CAP-[A-Z]{3}-\d{2}$")


def parse_capabilities(path: Path) -> list[dict]:
    rows = read_reference_csv(path, COLUMNS)
    sectors = set(Sector.objects.values_list("code", flat=True)) | {COMMON_SECTOR}
    model_names = set(SectorModel.objects.values_list("name", flat=True))
    items, ids, labels, dropped = [], {}, {}, []
    for order, (number, row) in enumerate(rows, start=1):
        cap_id, sector, label = row["id"].strip(), row["sector"].strip(), row["label"].strip()
        if not _ID.match(cap_id):
            raise DataFileError(f"IDは CAP-XXX-00 の形です: {cap_id!r}", path=path, row=number, column="id")
        if cap_id in ids:
            raise DataFileError(f"ID {cap_id} が重複しています（{ids[cap_id]}行目）", path=path, row=number, column="id")
        if sector not in sectors:
            raise DataFileError(f"分野コードが正しくありません: {sector!r}", path=path, row=number, column="sector")
        if not label or len(label) > 120:
            raise DataFileError("できることは1〜120文字です", path=path, row=number, column="label")
        if label in labels:
            raise DataFileError(f"できること「{label}」が重複しています", path=path, row=number, column="label")
        models = [m.strip() for m in row["models"].split(";") if m.strip()]
        # A model no longer in sectors.csv (the roadmap dropped it) is left out, not fatal: the vocabulary still
        # loads and the summary line names it. A model with no item at all is fatal (below).
        dropped.extend(m for m in models if m not in model_names)
        models = [m for m in models if m in model_names]
        ids[cap_id], labels[label] = number, number
        items.append({"id": cap_id, "sector": sector, "label": label, "order": order,
                      "synonyms": ";".join(s.strip() for s in row["synonyms"].split(";") if s.strip()),
                      "sector_models": ";".join(models)})
    covered = {m for item in items for m in item["sector_models"].split(";") if m}
    missing = sorted(model_names - covered)
    if missing:
        raise DataFileError(f"できることが1件もない分野別モデルがあります: {', '.join(missing)}", path=path)
    return items, sorted(set(dropped))


def load_capabilities(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
                      actor=access.SYSTEM) -> str:
    stdout = stdout or NullOut()
    path = Path(data_dir) / CAPABILITIES_FILE
    items, dropped = parse_capabilities(path)
    created = updated = 0
    with transaction.atomic():
        existing = {c.pk: c for c in Capability.objects.all()}
        records = []
        for item in items:
            capability = existing.get(item["id"])
            if capability is None:
                capability = Capability.objects.create(**item)
                created += 1
                records.append(history.change_record(actor, history.CREATE, capability, None, item,
                                                     source=history.REFERENCE))
                continue
            edited = capability.version > 1 and not force  # the admin's label/synonyms win over the file
            wanted = {k: v for k, v in item.items() if not (edited and k in ("label", "synonyms"))}
            before = {k: getattr(capability, k) for k in wanted}
            if before != wanted:
                # The order numbers are the index's document ids: move any holder of a wanted number aside first.
                for name, value in wanted.items():
                    setattr(capability, name, value)
                Capability.objects.filter(order=capability.order).exclude(pk=capability.pk).update(order=0)
                capability.save()
                updated += 1
                records.append(history.change_record(actor, history.UPDATE, capability, before, wanted,
                                                     source=history.REFERENCE))
        if records:
            history.record_many(records)
        count = indexing.reindex()
        history.bump("talent")
    note = f"。data/sectors.csv にない分野別モデルを除きました: {', '.join(dropped)}" if dropped else ""
    return f"できること: {count}件（新規{created}件・更新{updated}件）{note}"
