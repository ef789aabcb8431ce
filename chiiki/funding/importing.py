"""All-or-nothing import of funding lines (CSV/XLSX, CP932 or UTF-8) in the core import pipeline.

The file is the funding-line export (queries.LINE_EXPORT_HEADER): a row with 財源ID updates that line (its 版 must
be the current one), a row without it adds a line to the plan's 年度. Columns the export has for people (計画名,
団体, 分野, 段階) are ignored, so an export re-imports unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from chiiki import access
from chiiki.core import budget, db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.forms import row_id
from chiiki.core.imports import ImportResult
from chiiki.core.tabular import Table, TableError, as_read, require_columns
from chiiki.programs.models import SupportProgram

from . import validation
from .actions import AREA, LINE_FIELDS
from .models import FundingLine, FundingState, ImplementationPlan, PlanYear, SourceKind

REQUIRED = ["計画ID", "年度", "財源の種類", "金額（円）"]
HELP_COLUMNS = ["計画ID", "年度", "財源の種類", "支援メニューID", "内訳・名称", "金額（円）", "状態", "財源ID", "版"]
KINDS = {**{k.value: k.value for k in SourceKind}, **{str(k.label): k.value for k in SourceKind}}
STATES = {**{s.value: s.value for s in FundingState}, **{str(s.label): s.value for s in FundingState}}


@dataclass
class Parsed:
    number: int
    year: PlanYear
    plan: ImplementationPlan
    values: dict
    line: FundingLine | None


def import_funding_lines(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT) -> ImportResult:
    access.require(actor, "funding.import")
    result = ImportResult(dry_run=dry_run, encoding=table.encoding)
    try:
        require_columns(table, REQUIRED)
    except TableError as exc:
        result.reject(None, "", str(exc))
        return result
    result.rows = len(table.rows)
    plan_ids = {row_id(r.get("計画ID")) for r in table.rows} - {None}
    plans = ImplementationPlan.objects.select_related("municipality", "prefecture").in_bulk(list(plan_ids))
    years = {(y.plan_id, y.fiscal_year): y for y in PlanYear.objects.filter(plan_id__in=plan_ids)}
    line_ids = {row_id(r.get("財源ID")) for r in table.rows} - {None}
    lines = FundingLine.objects.select_related("plan_year").in_bulk(list(line_ids))
    programs = {p.public_id: p for p in SupportProgram.objects.filter(
        public_id__in={r.get("支援メニューID") for r in table.rows if r.get("支援メニューID")})}
    parsed: list[Parsed] = []
    seen: dict[int, int] = {}  # 財源ID → the row that first names it
    for row in table.rows:
        budget.check()
        key = row_id(row.get("財源ID"))
        if key is not None:
            # A line twice would meet its own new version at commit and be blamed on another user: name it now.
            if key in seen:
                result.reject(row.number, "財源ID", f"財源ID {row.get('財源ID')} が重複しています（{seen[key]}行目）",
                              row.get("財源ID"))
                continue
            seen[key] = row.number
        item = _parse(row, actor, plans, years, lines, programs, result)
        if item is not None:
            parsed.append(item)
    if not result.ok:
        return result
    changes = []
    for item in parsed:
        if item.line is None:
            changes.append(item)
            result.created += 1
        elif any(getattr(item.line, name) != value for name, value in item.values.items()):
            changes.append(item)
            result.updated += 1
        else:
            result.unchanged += 1
    if dry_run or not changes:
        return result
    try:
        with transaction.atomic():
            _lock_plans(changes)
            for item in changes:
                _write(actor, item, source)
            history.bump(AREA)
    except Conflict as exc:  # a line or a 年度 changed between reading the file's rows and writing them
        if str(exc) == YEARS_GONE:
            result.reject(None, "年度", YEARS_GONE)
        else:
            result.reject(None, "版", "取り込み中にほかの利用者が財源を更新しました。何も反映していません。もう一度取り込んでください")
        return result
    result.committed = True
    return result


YEARS_GONE = "取り込み中にほかの利用者が年度を削除しました。何も反映していません。もう一度取り込んでください"


def _lock_plans(changes: list[Parsed]) -> None:
    """Inside the transaction: lock the plans the file touches (in id order, so two imports never deadlock) — the row
    every change of a plan's years goes through (actions.add_line, delete_year) — and check that every 年度 the
    file writes to still exists: a 年度 deleted meanwhile is a Conflict, not lines pointing at nothing (a 500)."""
    plan_ids = sorted({item.plan.pk for item in changes})
    list(ImplementationPlan.objects.select_for_update(of=("self",)).filter(pk__in=plan_ids).order_by("pk"))
    year_ids = {item.year.pk for item in changes}
    if PlanYear.objects.filter(pk__in=year_ids).count() != len(year_ids):
        raise Conflict(YEARS_GONE)


def _parse(row, actor, plans, years, lines, programs, result: ImportResult) -> Parsed | None:
    problems_before = len(result.problems)
    raw_plan = row.get("計画ID")
    plan = plans.get(row_id(raw_plan))
    if plan is None or not access.can_view(actor, plan):
        result.reject(row.number, "計画ID", "計画が見つかりません", raw_plan)
        return None
    if not access.can(actor, "funding.plan_edit", plan):
        result.reject(row.number, "計画ID", "この計画の財源を変更する権限がありません", raw_plan)
        return None
    try:
        fiscal_year = validation.clean_fiscal_year(row.get("年度"))
    except ValueError as exc:
        result.reject(row.number, "年度", str(exc), row.get("年度"))
        fiscal_year = None
    year = years.get((plan.pk, fiscal_year)) if fiscal_year else None
    if fiscal_year and year is None:
        result.reject(row.number, "年度", f"計画に{fiscal_year}年度がありません（先に年度を追加してください）",
                      row.get("年度"))
    kind = KINDS.get(row.get("財源の種類"))
    if kind is None:
        result.reject(row.number, "財源の種類", "財源の種類が正しくありません（" + "・".join(str(k.label) for k in SourceKind)
                      + "）", row.get("財源の種類"))
    state = STATES.get(row.get("状態") or FundingState.PLANNED.value)
    if state is None:
        result.reject(row.number, "状態", "状態が正しくありません（" + "・".join(str(s.label) for s in FundingState) + "）",
                      row.get("状態"))
    try:
        amount = validation.clean_yen(row.get("金額（円）"))
    except ValueError as exc:
        result.reject(row.number, "金額（円）", str(exc), row.get("金額（円）"))
        amount = None
    program = None
    public_id = row.get("支援メニューID")
    if kind == SourceKind.NATIONAL_PROGRAM:
        program = programs.get(public_id)
        if program is None:
            result.reject(row.number, "支援メニューID", "国の支援メニューのIDが必要です（登録されているID）", public_id)
    elif public_id:
        result.reject(row.number, "支援メニューID", "支援メニューIDは財源の種類が「国の支援メニュー」のときだけ指定します",
                      public_id)
    label = row.get("内訳・名称")
    if len(label) > 200:
        result.reject(row.number, "内訳・名称", "内訳・名称は200文字以内です")
    line = None
    raw_line = row.get("財源ID")
    if raw_line:
        line = lines.get(row_id(raw_line))
        if line is None or year is None or line.plan_year_id != year.pk:
            result.reject(row.number, "財源ID", "この計画・年度の財源IDではありません", raw_line)
        else:
            try:
                version = editing.parse_version(row.get("版"))
            except ValueError as exc:
                result.reject(row.number, "版", str(exc), row.get("版"))
            else:
                if version != line.version:
                    result.reject(row.number, "版", f"ほかの利用者が先に更新しました（現在の版は{line.version}）",
                                  row.get("版"))
    if len(result.problems) > problems_before:
        return None
    if line is not None and label == as_read(line.label):  # read half-width: keep the text as the page saved it
        label = line.label
    values = {"source_kind": kind, "amount": amount, "state": state, "program_id": program.pk if program else None,
              "label": label}
    # A file has no campaign or project column: an unchanged kind keeps its link, another kind drops it.
    same_kind = line is not None and line.source_kind == kind
    values["campaign_id"] = line.campaign_id if same_kind and kind == SourceKind.CROWDFUNDING else None
    values["donation_project_id"] = (line.donation_project_id if same_kind and kind == SourceKind.CORPORATE_DONATION
                                     else None)
    return Parsed(row.number, year, plan, values, line)


def _write(actor, item: Parsed, source: str) -> None:
    plan = item.plan
    if item.line is None:
        line = FundingLine.objects.create(plan_year=item.year, **item.values)
        history.record(actor, history.CREATE, line, None, history.snapshot(line, LINE_FIELDS),
                       municipality=plan.municipality, prefecture=plan.prefecture, source=source,
                       object_repr=f"{plan.title}: {item.year.fiscal_year}年度 {line}")
        return
    # The version the file carried was checked while parsing; lock and check again for a change since then.
    line = editing.lock(FundingLine.objects, item.line.pk, item.line.version)
    before = editing.apply(line, LINE_FIELDS, item.values)
    if before is None:
        return
    line.save()
    history.record(actor, history.UPDATE, line, before, history.snapshot(line, LINE_FIELDS),
                   municipality=plan.municipality, prefecture=plan.prefecture, source=source,
                   object_repr=f"{plan.title}: {item.year.fiscal_year}年度 {line}")


# ---- Crowdfunding receipts (the portal's CSV export) ----------------------------------------------------------

RECEIPT_COLUMNS = ["受付番号", "受付日", "金額"]
RECEIPT_ALIASES = {"寄附金額": "金額", "寄附額": "金額", "金額（円）": "金額", "寄附日": "受付日", "入金日": "受付日",
                   "申込番号": "受付番号", "受付ID": "受付番号"}


def import_receipts(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT,
                    campaign: int | None = None) -> ImportResult:
    """A portal's receipts for one campaign, all or nothing; a 受付番号 already recorded counts as unchanged."""
    from . import actions
    from .models import Campaign, Receipt

    access.require(actor, "funding.import")
    result = ImportResult(dry_run=dry_run, encoding=table.encoding)
    target = Campaign.objects.select_related("municipality").filter(pk=campaign).first() if campaign else None
    if target is None or not access.can(actor, "funding.campaign_edit", target):
        result.reject(None, "", "取り込み先のクラウドファンディングを選んでください（編集できるもの）")
        return result
    try:
        require_columns(table, RECEIPT_COLUMNS)
    except TableError as exc:
        result.reject(None, "", str(exc))
        return result
    result.rows = len(table.rows)
    known = set(Receipt.objects.filter(campaign=target).values_list("external_id", flat=True))
    seen: dict[str, tuple] = {}
    new = []
    for row in table.rows:
        budget.check()
        try:
            cleaned = actions._clean_receipt(row.get("受付日"), row.get("金額"), row.get("件数"), row.get("受付番号"))
        except Invalid as exc:
            column = {"received_on": "受付日", "amount": "金額", "count": "件数", "external_id": "受付番号"}
            for name, reason in exc.problems:
                result.reject(row.number, column.get(name, name), reason, row.get(column.get(name, "")))
            continue
        key = cleaned["external_id"]
        values = (cleaned["received_on"], cleaned["amount"], cleaned["count"])
        if key in seen:
            if seen[key] != values:
                result.reject(row.number, "受付番号", "同じ受付番号の行が内容を変えて2回あります", key)
            else:
                result.duplicates += 1
            continue
        seen[key] = values
        if key in known:
            result.unchanged += 1
        else:
            new.append(cleaned)
    if not result.ok:
        return result
    result.created = len(new)
    if dry_run or not new:
        return result
    unchanged = result.unchanged

    def write() -> bool:
        with transaction.atomic():
            # Recorded since the check above (the API, another import). This read cannot see a receipt another
            # transaction has inserted but not committed yet: our insert of it then fails, and retry runs this
            # again, when the check sees it.
            already = set(Receipt.objects.filter(campaign=target, external_id__in=[c["external_id"] for c in new])
                          .values_list("external_id", flat=True))
            todo = [cleaned for cleaned in new if cleaned["external_id"] not in already]
            result.created, result.unchanged = len(todo), unchanged + len(new) - len(todo)
            if not todo:
                return False
            for cleaned in todo:
                receipt = Receipt.objects.create(campaign=target, **cleaned)
                actions._campaign_record(actor, history.CREATE, receipt, None,
                                         history.snapshot(receipt, actions.RECEIPT_FIELDS), target, source)
            history.bump(AREA)
            return True

    result.committed = db.retry(write, also=(IntegrityError,))
    return result


# ---- 不交付団体の区分 (national admin) --------------------------------------------------------------------------

NON_GRANT_COLUMNS = ["団体コード", "年度", "不交付団体", "三大都市圏"]
NON_GRANT_FIELDS = ("code", "fiscal_year", "non_grant", "metropolitan")
NON_GRANT_LOCK = "funding:non-grant"
YES = {"はい", "1", "true", "○", "該当", "yes"}
NO = {"いいえ", "0", "false", "×", "非該当", "no", ""}


def _flag(raw: str) -> bool | None:
    text = (raw or "").strip().lower()
    return True if text in YES else False if text in NO else None


def import_non_grant(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT) -> ImportResult:
    """Whether each local government is a 不交付団体 and in the 三大都市圏, per 年度 (all or nothing)."""
    from chiiki.core.codes import InvalidCode, normalize_code
    from chiiki.regions.models import Municipality, Prefecture

    from .models import NonGrantStatus

    access.require(actor, "funding.non_grant_import")
    result = ImportResult(dry_run=dry_run, encoding=table.encoding)
    try:
        require_columns(table, NON_GRANT_COLUMNS)
    except TableError as exc:
        result.reject(None, "", str(exc))
        return result
    result.rows = len(table.rows)
    municipalities = set(Municipality.objects.values_list("code", flat=True))
    prefectures = set(Prefecture.objects.values_list("lg_code", flat=True))
    rows: dict[tuple, tuple] = {}
    for row in table.rows:
        budget.check()
        raw = row.get("団体コード")
        code = raw if raw in prefectures else None
        if code is None:
            try:
                code = normalize_code(raw)
            except InvalidCode as exc:
                result.reject(row.number, "団体コード", f"団体コードが正しくありません: {exc}", raw)
                continue
            if code not in municipalities and code not in prefectures:
                result.reject(row.number, "団体コード", "登録されていない団体コードです", raw)
                continue
        try:
            year = validation.clean_fiscal_year(row.get("年度"))
        except ValueError as exc:
            result.reject(row.number, "年度", str(exc), row.get("年度"))
            continue
        flags = (_flag(row.get("不交付団体")), _flag(row.get("三大都市圏")))
        for column, value in zip(("不交付団体", "三大都市圏"), flags, strict=True):
            if value is None:
                result.reject(row.number, column, "「はい」「いいえ」（1/0）で入力してください", row.get(column))
        if None in flags:
            continue
        if (code, year) in rows:
            if rows[(code, year)] != flags:
                result.reject(row.number, "団体コード", "同じ団体・年度の行が内容を変えて2回あります", raw)
            else:
                result.duplicates += 1
            continue
        rows[(code, year)] = flags
    if not result.ok:
        return result

    def plan() -> tuple[list, list]:
        existing = {(s.code, s.fiscal_year): s for s in NonGrantStatus.objects.filter(
            fiscal_year__in={year for _c, year in rows})}
        creates, updates = [], []
        result.unchanged = 0
        for (code, year), (non_grant, metropolitan) in rows.items():
            status = existing.get((code, year))
            if status is None:
                creates.append(NonGrantStatus(code=code, fiscal_year=year, non_grant=non_grant,
                                              metropolitan=metropolitan))
            elif (status.non_grant, status.metropolitan) != (non_grant, metropolitan):
                updates.append((status, non_grant, metropolitan))
            else:
                result.unchanged += 1
        result.created, result.updated = len(creates), len(updates)
        return creates, updates

    if dry_run:
        plan()
        return result

    def plan_and_write() -> bool:
        with transaction.atomic():
            # Planned under the lock, so an import committed meanwhile (another admin, the command) is read as
            # what is there, not inserted a second time.
            db.lock_area(NON_GRANT_LOCK)
            creates, updates = plan()
            if not (creates or updates):
                return False
            NonGrantStatus.objects.bulk_create(creates, batch_size=1000)
            entries = []
            for status in creates:
                entries.append(history.change_record(actor, history.CREATE, status, None,
                                                     history.snapshot(status, NON_GRANT_FIELDS), source=source))
            for status, non_grant, metropolitan in updates:
                before = history.snapshot(status, NON_GRANT_FIELDS)
                status.non_grant, status.metropolitan = non_grant, metropolitan
                status.save(update_fields=["non_grant", "metropolitan"])
                entries.append(history.change_record(actor, history.UPDATE, status, before,
                                                     history.snapshot(status, NON_GRANT_FIELDS), source=source))
            history.record_many(entries)
            history.bump(AREA)
            return True

    # A row another writer saved without this lock (IntegrityError), or a lost lock race: plan again against
    # what is there now; db.Busy (409) when that keeps happening.
    result.committed = db.retry(plan_and_write, also=(IntegrityError,))
    return result
