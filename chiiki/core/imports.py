"""One import pipeline for every table the platform takes in (progress, catalog, population, area, …).

An app describes its import once as an `Importer`; the pipeline gives it:
- the action call with one signature, `import_<thing>(actor, table, *, dry_run, source, **options) -> ImportResult`,
  used alike by the web upload, the API and the management command (`Importer.run`);
- the web flow upload → dry-run preview naming every problem row → error report (CSV/XLSX) → commit of exactly the
  previewed file (by sha256), as views parametrised by the importer (`Importer.urls()`), one set of templates.

Problems are `RowProblem`s (row as in the file, column, reason in Japanese, value); results are `ImportResult`s.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chiiki import access

from . import budget, memory, tabular
from .errors import RowProblem
from .models import ImportUpload

UPLOAD_TTL = timedelta(hours=1)
REPORT_HEADER = ["行", "列", "値", "内容"]


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do). Nothing is written unless `problems` is empty."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0  # data rows read
    duplicates: int = 0  # identical repeated rows (harmless)
    skipped: list[str] = field(default_factory=list)  # rows read past on purpose (totals, wards), with why
    encoding: str = ""
    dry_run: bool = False
    committed: bool = False
    # A fingerprint of the stored data the plan read (importers that check it): the web preview keeps it and the
    # commit passes it back as `expected_state`, so rows changed in between are refused instead of written over.
    state: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return self.created + self.updated

    def reject(self, row: int | None, column: str, reason: str, value: str = "") -> None:
        self.problems.append(RowProblem(row, column, reason, value))

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "committed": self.committed, "rows": self.rows, "created": self.created,
            "updated": self.updated, "unchanged": self.unchanged, "duplicates": self.duplicates,
            "skipped": len(self.skipped),
            "errors": [{"row": p.row or 0, "column": p.column, "message": p.reason, "value": p.value}
                       for p in self.problems],
        }

    def error_lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def report(self, limit: int = 50) -> str:
        """The problems as text for a terminal (management commands)."""
        lines = [f"{len(self.problems)}件の問題があるため取り込みを中止しました（何も変更していません）",
                 *(f"  {p}" for p in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"  …ほか{len(self.problems) - limit}件")
        return "\n".join(lines)

    def report_rows(self) -> list[list]:
        return [[p.row or "", p.column, p.value, p.reason] for p in self.problems]

    def summary(self, what: str) -> str:
        text = f"{what}: " + (f"新規{self.created}件・" if self.created else "") + \
            f"更新{self.updated}件・変更なし{self.unchanged}件"
        if self.duplicates:
            text += f"・重複（同一内容）{self.duplicates}件"
        if self.skipped:
            text += f"・読み飛ばし{len(self.skipped)}行"
        return text


class ImportForm(forms.Form):
    """The upload form; importers with options subclass it (every extra cleaned value becomes an option)."""

    file = forms.FileField(label="ファイル（CSV または XLSX）", error_messages={
        "empty": "ファイルが空です", "required": "ファイルを選択してください", "invalid": "ファイルを選択してください"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = tabular.size_problem(upload.size)  # the same limit read_table applies on every path
        if problem:
            raise forms.ValidationError(problem)
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError("CSV（.csv）または XLSX（.xlsx）ファイルを選んでください")
        return upload

    def options(self) -> dict:
        """The JSON-safe options passed to the action (everything but the file)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "file"}


RELEASE_AFTER_BYTES = 1 << 20  # smaller files leave too little behind to be worth a garbage collection


@dataclass(frozen=True)
class Importer:
    """One kind of import: its action, who may run it, its form and where its pages live."""

    key: str  # stored with uploads; unique
    title: str  # page title, e.g. 「進捗の一括取込」
    action: Callable[..., ImportResult]  # import_<thing>(actor, table, *, dry_run, source, **options)
    permission: str  # chiiki.access rule checked before any page of the flow
    namespace: str  # URL namespace of the app that mounts .urls()
    url_name: str = "import"  # names: <url_name>, <url_name>_preview, _report, _commit
    help_template: str = ""  # the file format, shown on the upload page
    done_url: str = ""  # URL name to go to after a commit (default: the upload page)
    back_url: str = ""  # URL name of the page the flow belongs to (breadcrumb)
    back_label: str = ""
    form_class: type[ImportForm] = ImportForm
    header_aliases: dict = field(default_factory=dict)
    help_context: Callable[[], dict] | None = None  # extra context for help_template
    hidden_to_public: bool = False  # 404 (not a login redirect) for anonymous visitors
    # The action takes a tabular.TableStream (rows read once, as it checks them) instead of a whole Table: for
    # imports whose files are large (progress surveys: 140,000 rows), so memory does not follow the file.
    streaming: bool = False

    # ---- running (web, API and command alike) ----------------------------------------------------------

    def read(self, data: bytes, filename: str):
        reader = tabular.stream_table if self.streaming else tabular.read_table
        return reader(data, filename, header_aliases=self.header_aliases, collect_controls=True)

    def run(self, actor, data: bytes, filename: str = "", *, dry_run: bool = False, source: str = "",
            **options) -> ImportResult:
        """Read the file and call the action within the time budget (settings IMPORT_TIME_BUDGET); a file that
        cannot be read, or whose checking runs out of time, becomes a file-level problem and writes nothing."""
        try:
            return self._run(actor, data, filename, dry_run=dry_run, source=source, **options)
        finally:
            if len(data) > RELEASE_AFTER_BYTES:
                memory.release()  # the next request of this worker starts low again (chiiki/core/memory.py)

    def _run(self, actor, data: bytes, filename: str, *, dry_run: bool, source: str, **options) -> ImportResult:
        try:
            with budget.budget(settings.IMPORT_TIME_BUDGET):
                try:
                    table = self.read(data, filename)
                except tabular.TableError as exc:
                    access.require(actor, self.permission)
                    return ImportResult(problems=[RowProblem(None, "", str(exc))], dry_run=dry_run)
                try:
                    # A file with control characters or values under a blank header cell is checked, never written:
                    # its rows are read without them, so the action names every other problem, and the cells that
                    # hold them are added to those.
                    checked_only = dry_run or table.may_hold_cell_problems or bool(table.control_problems)
                    if not checked_only and not isinstance(table.rows, list):
                        table.rows = _refusing_cell_problems(table.rows, table.control_problems)
                    result = None
                    try:
                        result = self.action(actor, table, dry_run=checked_only, source=source, **options)
                    except _CellProblems:
                        # Found as the stream was read (XLSX formulas without results, values beyond the header):
                        # the action stopped before writing. Checked again below, outside this handler, so the
                        # traceback does not keep the first reading's rows alive during the second.
                        pass
                    if result is None:
                        table = self.read(data, filename)
                        result = self.action(actor, table, dry_run=True, source=source, **options)
                    if table.control_problems:
                        result.problems[:0] = table.control_problems
                        result.problems.sort(key=lambda problem: problem.row or 0)
                        result.dry_run = dry_run
                    elif checked_only and not dry_run:
                        # Only in cells read as blank (a row of separators): nothing to refuse after all.
                        result = self.action(actor, self.read(data, filename), dry_run=False, source=source,
                                             **options)
                except tabular.TableError as exc:  # a streamed table's later row; nothing was written yet
                    return ImportResult(problems=[RowProblem(None, "", str(exc))], dry_run=dry_run)
        except budget.OverBudget as exc:
            access.require(actor, self.permission)
            return ImportResult(problems=[RowProblem(None, "", str(exc))], dry_run=dry_run)
        if result.ok and isinstance(table.rows, list) and not table.rows:
            # A header with nothing under it (an empty template sent by mistake) is said, as the progress survey
            # and the catalog say it, rather than answered 「0件を取り込みました」.
            result.reject(None, "", "データ行がありません（見出しの行だけです）")
            result.committed = False  # nothing was there to write
        result.encoding = result.encoding or table.encoding
        return result

    # ---- the web flow -------------------------------------------------------------------------------------

    def url(self, suffix: str = "", *args) -> str:
        name = self.url_name + (f"_{suffix}" if suffix else "")
        return reverse(f"{self.namespace}:{name}", args=args)

    def urls(self, prefix: str = "import/") -> list:
        return [
            path(prefix, self._view(upload_view), name=self.url_name),
            path(f"{prefix}<str:token>/", self._view(preview_view), name=f"{self.url_name}_preview"),
            path(f"{prefix}<str:token>/report", self._view(report_view), name=f"{self.url_name}_report"),
            path(f"{prefix}<str:token>/commit", self._view(require_POST(commit_view)),
                 name=f"{self.url_name}_commit"),
        ]

    def _view(self, view):
        def bound(request, **kwargs):
            if self.hidden_to_public and not request.user.is_authenticated:
                raise Http404("見つかりません")
            return login_required(_checked(view))(request, importer=self, **kwargs)

        bound.__name__ = f"{self.key}_{view.__name__}"
        return bound


class _CellProblems(Exception):
    """A streamed table's rows held cell problems (raised after its last row, before the action writes)."""


def _refusing_cell_problems(rows, problems: list | None):
    """The rows of a stream, ending in _CellProblems when any of them held a cell problem (some show only as the
    rows are read): an action reads every row before it writes."""
    yield from rows
    if problems:
        raise _CellProblems


def _checked(view):
    def wrapper(request, importer: Importer, **kwargs):
        access.require(request.user, importer.permission)
        return view(request, importer, **kwargs)

    return wrapper


def _context(importer: Importer, **extra) -> dict:
    back = reverse(importer.back_url) if importer.back_url else ""
    help_context = importer.help_context() if importer.help_context else {}
    return {"importer": importer, "upload_url": importer.url(), "back": back, "back_label": importer.back_label,
            "max_size": tabular.format_size(settings.IMPORT_MAX_BYTES), **help_context, **extra}


def purge_expired() -> None:
    ImportUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_TTL).delete()


def upload_view(request, importer: Importer):
    form = importer.form_class(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            purge_expired()
            upload = ImportUpload.objects.create(
                token=secrets.token_urlsafe(24), importer=importer.key, user=request.user,
                filename=form.cleaned_data["file"].name[:255], content=zlib.compress(data, 1), compressed=True,
                sha256=hashlib.sha256(data).hexdigest(), options=form.options())
            if len(data) > RELEASE_AFTER_BYTES:
                del data
                memory.release()
            return redirect(importer.url("preview", upload.token))
        return render(request, "core/import_upload.html", _context(importer, form=form), status=400)
    return render(request, "core/import_upload.html", _context(importer, form=form))


def _content(upload: ImportUpload) -> bytes:
    """The stored file as uploaded. PostgreSQL hands back a memoryview, SQLite bytes (copied only when needed)."""
    content = upload.content
    upload.content = b""  # one copy of the file in memory at a time, not the stored one besides the one in use
    content = content if isinstance(content, bytes) else bytes(content)
    return zlib.decompress(content) if upload.compressed else content


def _upload_for(request, importer: Importer, token: str) -> ImportUpload:
    upload = ImportUpload.objects.filter(token=token, user=request.user, importer=importer.key).first()
    if upload is None or upload.created_at < timezone.now() - UPLOAD_TTL:
        raise Http404("取込ファイルが見つかりません（期限切れの可能性があります。もう一度アップロードしてください）")
    return upload


STATE_OPTION = "_state"  # in ImportUpload.options: the ImportResult.state of the last preview
MAX_STATE_LENGTH = 200


def _options(upload: ImportUpload) -> dict:
    """The action's options (the upload form's), without the preview's fingerprint."""
    return {name: value for name, value in upload.options.items() if name != STATE_OPTION}


def _rejected(upload: ImportUpload) -> ImportResult | None:
    if upload.problems is None:
        return None
    return ImportResult(problems=[RowProblem(*p) for p in upload.problems])


def _previewed(request, importer: Importer, upload: ImportUpload) -> ImportResult:
    """The dry run of an upload; a rejected file keeps only its problems (the content is dropped at once)."""
    result = _rejected(upload)
    if result is not None:
        return result
    result = importer.run(request.user, _content(upload), upload.filename, dry_run=True,
                          source="web-import", **_options(upload))
    if not result.ok:
        upload.problems = [[p.row, p.column, p.reason, p.value] for p in result.problems]
        upload.content, upload.compressed = b"", False
        upload.save(update_fields=["problems", "content", "compressed"])
    elif result.state:  # the state this page shows is the one the commit must still find
        upload.options = {**upload.options, STATE_OPTION: result.state}
        upload.save(update_fields=["options"])
    return result


PREVIEW_LIMIT = 1000


def preview_view(request, importer: Importer, token: str):
    upload = _upload_for(request, importer, token)
    result = _previewed(request, importer, upload)
    return render(request, "core/import_preview.html", _context(
        importer, upload=upload, result=result, problems=result.problems[:PREVIEW_LIMIT],
        report_url=importer.url("report", token), commit_url=importer.url("commit", token)))


def report_view(request, importer: Importer, token: str):
    upload = _upload_for(request, importer, token)
    result = _previewed(request, importer, upload)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return tabular.table_response(fmt, f"取込チェック結果_{upload.filename.rsplit('.', 1)[0]}", REPORT_HEADER,
                                  result.report_rows())


def _put_back(upload: ImportUpload, content: bytes) -> None:
    """The claimed upload stored again as it was (_content took its bytes out of the row object)."""
    upload.content, upload.compressed = zlib.compress(content, 1), True
    upload.save(force_insert=True)


def commit_view(request, importer: Importer, token: str):
    upload = _upload_for(request, importer, token)
    content = _content(upload)
    if (upload.problems is not None or hashlib.sha256(content).hexdigest() != upload.sha256
            or request.POST.get("sha256") != upload.sha256):
        messages.error(request, "確認したファイルと内容が一致しません。もう一度アップロードしてください。")
        return redirect(importer.url())
    # Claimed before the write: a second click (another tab) on 取り込む finds it gone instead of importing every
    # new row again. A file refused at this point is put back for its preview.
    if not ImportUpload.objects.filter(pk=upload.pk).delete()[0]:
        messages.info(request, f"{upload.filename} はすでに取り込んでいます（同じ確認画面から二度実行されました）。")
        return redirect(reverse(importer.done_url) if importer.done_url else importer.url())
    options = _options(upload)
    if upload.options.get(STATE_OPTION):
        # The state of the page the user pressed 取り込む on, sent with it: the stored one is the last dry run's,
        # which the check report or the preview reloaded in another tab may have taken after a save. None sent
        # (or an overlong one) matches nothing, so the commit is refused and the fresh preview shown.
        posted = request.POST.get("state", "")
        options["expected_state"] = posted if posted and len(posted) <= MAX_STATE_LENGTH else "-"
    try:
        result = importer.run(request.user, content, upload.filename, source="web-import", **options)
    except BaseException:
        _put_back(upload, content)
        raise
    if not result.ok:
        _put_back(upload, content)
        # A problem of the whole file (rows changed since the preview, time ran out) is not one the fresh preview
        # lists again: say it here.
        reasons = [problem.reason for problem in result.problems if problem.row is None][:3]
        messages.error(request, "".join(f"{reason.rstrip('。')}。" for reason in reasons) if reasons
                       else "確認後にデータが変わったため取り込めませんでした。内容を確認してください。")
        return redirect(importer.url("preview", token))
    messages.success(request, f"{upload.filename}: 新規 {result.created}件・更新 {result.updated}件を取り込みました"
                              f"（変更なし {result.unchanged}件）。")
    return redirect(reverse(importer.done_url) if importer.done_url else importer.url())
