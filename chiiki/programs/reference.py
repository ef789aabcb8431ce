"""Loading the support program catalog from data/support_programs.csv (REFERENCE_LOADERS contract).

Idempotent. A program an admin has edited since the last load (edited_since_load) is left alone unless
`force` is given, so `load_reference` never silently undoes the secretariat's corrections.
"""

from pathlib import Path

from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.core.errors import DataFileError, Invalid
from chiiki.core.tabular import read_reference_csv
from chiiki.roadmap.models import Sector

from .actions import AREA, _snapshot
from .catalog import REQUIRED_COLUMNS, content_of, parse_row
from .indexing import reindex
from .models import SupportProgram
from .search import invalidate

CATALOG_FILE = "support_programs.csv"


def load_catalog(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
                 actor=access.SYSTEM) -> str:
    path = Path(data_dir) / CATALOG_FILE
    rows = read_reference_csv(path, REQUIRED_COLUMNS)
    codes = set(Sector.objects.values_list("code", flat=True))
    if not codes:
        raise DataFileError("分野が未登録です（分野のローダーを先に実行してください）", path=path)
    known_ids = set(SupportProgram.objects.values_list("public_id", flat=True)) | {
        (row.get("id") or "").strip() for _, row in rows}
    parsed, seen = [], {}
    for number, row in rows:
        try:
            data = parse_row(row, codes, known_ids)
        except Invalid as exc:
            column, reason = exc.problems[0]
            raise DataFileError(reason, path=path, row=number, column=column) from None
        if data["public_id"] in seen:
            raise DataFileError(f"ID {data['public_id']} が重複しています（{seen[data['public_id']]}行目）",
                                path=path, row=number, column="id")
        seen[data["public_id"]] = number
        parsed.append(data)
    created = updated = kept = unchanged = 0
    with transaction.atomic():
        existing = {p.public_id: p for p in SupportProgram.objects.all()}
        records, touched = [], []
        for data in parsed:
            program = existing.get(data["public_id"])
            if program is None:
                program = SupportProgram.objects.create(**data)
                records.append(history.change_record(actor, "create", program, None, _snapshot(program),
                                                     source=history.REFERENCE))
                touched.append(program)
                created += 1
                continue
            if program.edited_since_load and not force:
                kept += 1
                continue
            before = _snapshot(program)
            before_content = content_of(program)
            for attr, value in data.items():
                setattr(program, attr, value)
            if content_of(program) == before_content and not program.edited_since_load:
                unchanged += 1
                continue
            program.version += 1
            program.edited_since_load = False
            program.save()
            records.append(history.change_record(actor, "update", program, before, _snapshot(program),
                                                 source=history.REFERENCE))
            touched.append(program)
            updated += 1
        if records:
            history.record_many(records)
        # Always (re)index everything: a fresh database or a changed sector name must be searchable.
        reindex(SupportProgram.objects.all())
        history.bump(AREA)
    invalidate()
    summary = f"支援メニュー: 新規{created}件・更新{updated}件・変更なし{unchanged}件"
    if kept:
        summary += f"・管理者の編集を保持{kept}件（上書きするには --force）"
    return summary
