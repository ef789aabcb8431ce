"""Reading and checking a progress table (import format) — one code path for the command, the web upload and the API.

Format: header 団体コード,分野,年度,段階 (+ optional 備考,根拠URL; other columns are ignored, so exports with
団体名 / 繰越 columns re-import). `parse_table` validates every row and names every problem; `plan_import` compares
the valid rows with the database (one query) and says what would be created or updated.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from chiiki import access
from chiiki.core import budget, tabular
from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.errors import RowProblem
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.imports import ImportResult
from chiiki.core.text import fold
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from . import validation
from .models import ProgressRecord, Stage

COL_CODE, COL_SECTOR, COL_YEAR, COL_STAGE, COL_NOTE, COL_URL = "団体コード", "分野", "年度", "段階", "備考", "根拠URL"
COL_NAME, COL_CARRIED = "団体名", "繰越"
IMPORT_HEADER = [COL_CODE, COL_SECTOR, COL_YEAR, COL_STAGE, COL_NOTE, COL_URL]
HEADER_ALIASES = {"団体ｺｰﾄﾞ": COL_CODE, "地方公共団体コード": COL_CODE, "コード": COL_CODE, "ステージ": COL_STAGE,
                  "根拠ＵＲＬ": COL_URL, "URL": COL_URL}


@dataclass(slots=True)  # one per valid row is kept until the write: 140,000 in a national survey
class ParsedRow:
    row: int
    municipality: str
    prefecture: str
    sector: str
    fiscal_year: int
    stage: str
    note: str | None  # None: the file has no 備考 column (existing notes are kept)
    evidence_url: str | None

    @property
    def key(self):
        return (self.municipality, self.sector, self.fiscal_year)


class _Lookups:
    """Register facts needed to validate rows, read once per import."""

    def __init__(self):
        self.municipalities = dict(Municipality.objects.values_list("code", "prefecture_id"))
        self.sectors = {}
        for code, name in Sector.objects.values_list("code", "name"):
            self.sectors[fold(code)] = code
            self.sectors[fold(name)] = code
        self.sector_hint = "、".join(sorted({v for v in self.sectors.values()}))


def _cached(cache: dict, raw: str, parse):
    """Memoise per distinct raw value: a 20,000-row file repeats its codes, years and labels."""
    try:
        return cache[raw]
    except KeyError:
        try:
            result = (parse(raw), None)
        except (InvalidCode, InvalidFiscalYear, ValueError, ValidationError) as exc:
            result = (None, str(exc))
        cache[raw] = result
        return result


def parse_table(table: tabular.Table | tabular.TableStream, *, actor, result: ImportResult, fiscal_year: int | None = None) -> list[ParsedRow]:
    """Validate every row; problems go to result. Rows outside what actor may import are problems too
    (access.SYSTEM may import all)."""
    required = [COL_CODE, COL_SECTOR, COL_STAGE] + ([] if fiscal_year else [COL_YEAR])
    missing = [c for c in required if c not in table.header]
    if missing:
        hint = "（年度の列がない場合は年度を指定してください）" if COL_YEAR in missing else ""
        result.reject(table.header_number, "、".join(missing),
                      f"必須の列がありません{hint}。ヘッダー: {','.join(table.header)}")
        return []
    has_note, has_url = COL_NOTE in table.header, COL_URL in table.header
    has_year = COL_YEAR in table.header
    lookups = _Lookups()
    permitted: dict[str, bool] = {}
    code_cache, year_cache, url_cache, sector_cache, stage_cache = {}, {}, {}, {}, {}
    rows: list[ParsedRow] = []
    seen: dict[tuple, ParsedRow] = {}
    count = 0
    for count, row in enumerate(table.rows, start=1):  # a stream: read once, row by row
        if count % 512 == 0:
            budget.check()
        values = row.values
        problems = []
        raw_code = values.get(COL_CODE, "")
        code, problem = _cached(code_cache, raw_code, normalize_code)
        prefecture = None
        if problem:
            problems.append(RowProblem(row.number, COL_CODE, problem, raw_code))
        else:
            prefecture = lookups.municipalities.get(code)
            stripped = raw_code.strip()
            if prefecture is None and len(stripped) == 5 and stripped.isdigit():
                # A 6-digit code whose leading zero Excel dropped (013315 → 13315) reads as another 5-digit code.
                padded = "0" + stripped
                if padded in lookups.municipalities:
                    code, prefecture = padded, lookups.municipalities[padded]
            if prefecture is None:
                problems.append(RowProblem(row.number, COL_CODE, f"登録されていない団体コードです: {code}", raw_code))
        raw_sector = values.get(COL_SECTOR, "")
        sector = sector_cache.get(raw_sector)
        if sector is None:
            sector = sector_cache[raw_sector] = lookups.sectors.get(fold(raw_sector))
        if sector is None:
            message = "分野が空です" if not raw_sector else f"分野を判別できません: {raw_sector}（例: {lookups.sector_hint} または分野名）"
            problems.append(RowProblem(row.number, COL_SECTOR, message, raw_sector))
        raw_year = values.get(COL_YEAR, "") if has_year else ""
        if raw_year == "" and fiscal_year:
            year, problem = _cached(year_cache, str(fiscal_year), _parse_year)
            if problem:
                problems.append(RowProblem(row.number, COL_YEAR, problem, str(fiscal_year)))
        else:
            year, problem = _cached(year_cache, raw_year, _parse_year)
            if problem:
                problems.append(RowProblem(row.number, COL_YEAR, problem, raw_year))
        raw_stage = values.get(COL_STAGE, "")
        stage, problem = _cached(stage_cache, raw_stage, validation.clean_stage)
        if problem:
            problems.append(RowProblem(row.number, COL_STAGE, problem, raw_stage))
        note = None
        if has_note:
            try:
                note = validation.clean_note(values.get(COL_NOTE, ""))
            except ValueError as exc:
                problems.append(RowProblem(row.number, COL_NOTE, str(exc)))
        url = None
        if has_url:
            url, problem = _cached(url_cache, values.get(COL_URL, ""), validation.clean_evidence_url)
            if problem:
                problems.append(RowProblem(row.number, COL_URL, problem, values.get(COL_URL, "")))
        if prefecture is not None:
            allowed = permitted.get(prefecture)
            if allowed is None:
                allowed = permitted[prefecture] = _may_import(actor, code)
            if not allowed:
                problems.append(RowProblem(row.number, COL_CODE,
                                           f"この団体（{code}）の進捗を取り込む権限がありません（所属都道府県の団体のみ）",
                                           raw_code))
        if problems:
            result.problems.extend(problems)
            continue
        parsed = ParsedRow(row.number, code, prefecture, sector, year, stage, note, url)
        earlier = seen.get(parsed.key)
        if earlier is None:
            seen[parsed.key] = parsed
            rows.append(parsed)
        elif (earlier.stage, earlier.note, earlier.evidence_url) == (stage, note, url):
            result.duplicates += 1
        else:
            what = "段階" if earlier.stage != stage else "内容"
            result.reject(row.number, COL_STAGE if what == "段階" else "",
                          f"同じ団体・分野・年度（{code}・{sector}・{year}年度）が{earlier.row}行目にもあり、{what}が異なります")
    result.rows = count
    if not count:
        result.reject(None, "", "データ行がありません")
    return rows


def _parse_year(raw: str) -> int:
    return validation.check_fiscal_year(parse_fiscal_year(raw))


def _may_import(actor, code: str) -> bool:
    municipality = Municipality.objects.select_related("prefecture").get(pk=code)
    return access.can(actor, "progress.import", municipality)


@dataclass(slots=True)
class Existing:
    """A stored record as the plan needs it (plain values: a national re-import compares 140,000 of them)."""
    pk: int
    municipality_id: str
    sector_id: str
    fiscal_year: int
    stage: str
    note: str
    evidence_url: str
    version: int
    source: str


EXISTING_FIELDS = ("id", "municipality_id", "sector_id", "fiscal_year", "stage", "note", "evidence_url", "version",
                   "source")
PLAN_CHUNK = 100  # municipalities whose records are read at once: ≈ 8,000 records for 10 年度 × 8 分野


@dataclass
class Planned:
    creates: list  # ParsedRow, grouped by municipality
    updates: list  # (ParsedRow, Existing)


class Fingerprint:
    """The stored state a plan read, as one sha256: for every row of the file, in key order, the record it was
    compared with (id and version; a carried-over earlier one included, 0 for none). A web preview keeps it and
    its commit plans again only if nothing of it changed meanwhile (ADR 0004).

    `since` (the commit's check): also counts the rows whose record was saved after that moment, for the message.
    """

    def __init__(self, since: datetime | None = None):
        self.hash = hashlib.sha256()
        self.since = since
        self.at = timezone.now()
        self.changed = 0

    def add(self, code: str, compared: list[tuple]) -> None:
        """compared: (sector, 年度, record id or 0, version or 0) of one municipality's rows."""
        compared.sort()
        self.hash.update(f"{code}\n".encode())
        self.hash.update("".join(f"{s}\t{y}\t{pk}\t{v}\n" for s, y, pk, v in compared).encode())

    @property
    def state(self) -> str:
        """The digest and when it was taken (what `since` of the commit's check will be)."""
        return f"{self.hash.hexdigest()}@{self.at.isoformat()}"

    @staticmethod
    def parse(state: str) -> tuple[str, datetime | None]:
        digest, _, at = state.partition("@")
        try:
            return digest, datetime.fromisoformat(at)
        except ValueError:
            return digest, None


def plan_import(rows: list[ParsedRow], result: ImportResult, fingerprint: Fingerprint | None = None) -> Planned:
    """Compare valid rows with the database. A row equal to the year's effective state (its own record,
    or the carried-over earlier one) changes nothing; otherwise the year's record is created or updated.

    The records are read for a few municipalities at a time, so memory follows the file's rows, not the history."""
    creates, updates = [], []
    if not rows:
        return Planned(creates, updates)
    max_year = max(r.fiscal_year for r in rows)
    by_code: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        by_code[row.municipality].append(row)
    codes = sorted(by_code)
    strings: dict[str, str] = {}
    shared = lambda value: strings.setdefault(value, value)  # noqa: E731
    since = fingerprint.since if fingerprint else None
    fields = EXISTING_FIELDS + (("updated_at",) if since else ())
    for start in range(0, len(codes), PLAN_CHUNK):
        budget.check()
        chunk = codes[start:start + PLAN_CHUNK]
        history: dict[tuple, list] = defaultdict(list)
        recent = set()  # ids of the records saved after `since`
        stored = (ProgressRecord.objects.filter(municipality_id__in=chunk, fiscal_year__lte=max_year)
                  .order_by("fiscal_year").values_list(*fields))
        for pk, code_, sector, year, stage, note, url, version, source, *updated in stored.iterator(chunk_size=2000):
            # The driver returns new strings per row: share the repeated ones (≈ 250 bytes a record).
            record = Existing(pk, shared(code_), shared(sector), year, shared(stage), note, shared(url), version,
                              shared(source))
            history[(record.municipality_id, record.sector_id)].append(record)
            if updated and updated[0] > since:
                recent.add(pk)
        for code in chunk:
            compared = []
            for row in by_code[code]:
                record = _plan_row(row, history.get((row.municipality, row.sector), ()), creates, updates, result)
                if fingerprint is not None:
                    compared.append((row.sector, row.fiscal_year, record.pk if record else 0,
                                     record.version if record else 0))
                    fingerprint.changed += record is not None and record.pk in recent
            if fingerprint is not None:
                fingerprint.add(code, compared)
    result.created, result.updated = len(creates), len(updates)
    return Planned(creates, updates)


def _plan_row(row: ParsedRow, records, creates: list, updates: list, result: ImportResult) -> Existing | None:
    """Plans one row; returns the record it was compared with (the year's own or the carried-over one)."""
    exact, effective = None, None
    for record in records:
        if record.fiscal_year <= row.fiscal_year:
            effective = record
            if record.fiscal_year == row.fiscal_year:
                exact = record
    if exact is not None:
        if _differs(row, exact):
            updates.append((row, exact))
        else:
            result.unchanged += 1
    elif effective is not None and not _differs(row, effective):
        result.unchanged += 1
    elif effective is None and row.stage == Stage.NOT_STARTED and not row.note and not row.evidence_url:
        result.unchanged += 1  # no record at all already means 未着手
    else:
        creates.append(row)
    return effective


def _differs(row: ParsedRow, record) -> bool:
    if row.stage != record.stage:
        return True
    if row.note is not None and row.note != record.note:
        return True
    return row.evidence_url is not None and row.evidence_url != record.evidence_url
