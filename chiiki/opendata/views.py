"""オープンデータ pages: catalog search, dataset, owner, national 見える化, validator, management, usage, 利用事例."""

from __future__ import annotations

import csv
import io
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chiiki import access
from chiiki.core import tabular
from chiiki.core.codes import is_valid_code
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.forms import save_or_refuse
from chiiki.core.search_request import FacetValue, OneOf, RequestSpec, facet_panel
from chiiki.core.search_request import SearchRequest as BaseRequest
from chiiki.regions.models import Municipality, Prefecture

from . import actions, pageviews, queries, search, standard
from .forms import DatasetForm, ModerateUseForm, ResourceForm, UseCaseForm, ValidateForm
from .indexing import sector_names
from .models import Conformance, License, UsageKind, UseCase, UseCaseStatus, Visibility
from .serialize import NATIONAL, owner_of, resource_url

log = logging.getLogger(__name__)

PREVIEW_ROWS = 10
PREVIEW_MAX_BYTES = 5 * 1024 * 1024


CONFORMANCE_CHOICES = tuple(v for v in Conformance.values if v)
SEARCHED = (*search.FACETS, *search.FILTERS)  # what the page filters on and shows with counts


class CatalogRequest(BaseRequest):
    spec = RequestSpec(
        filters=(*(OneOf(name, label) for name, label in search.FACETS.items()),
                 OneOf("conformance", search.FILTERS["conformance"], choices=CONFORMANCE_CHOICES),
                 OneOf("visibility", search.FILTERS["visibility"], choices=tuple(Visibility.values))),
        sorts={"relevance": "関連度順", "name": "URL名順", "-modified": "更新の新しい順"},
        default_page_size=20, max_page_size=100,
    )


def _facet_labels(owners: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"organization": owners, "groups": sector_names(), "license_id": dict(License.choices),
            "standard_type": dict(standard.choices()), "conformance": dict(Conformance.choices),
            "visibility": dict(Visibility.choices)}


EXPORT_HEADER = ["URL名", "タイトル", "公開団体", "団体コード", "ライセンス", "分野", "タグ", "標準データセット",
                 "準拠", "形式", "更新日時", "URL"]


def index(request):
    req = CatalogRequest.from_params(request.GET)
    for message in req.errors:
        messages.error(request, message)
    sort = req.sort[0].key if req.sort else ("relevance" if req.q else "name")
    if sort.lstrip("-") == "modified" and req.sort and req.sort[0].descending:
        sort = "-modified"
    filters = {name: list(req.filters[name]) for name in SEARCHED}
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        datasets = search.every_match(request.user, q=req.q, filters=filters, sort=sort)
        names = sector_names()
        rows = ([d.name, d.title, owner_of(d).title, owner_of(d).lg_code, d.license_label,
                 "・".join(names.get(c, c) for c in d.sectors), "・".join(d.tags),
                 standard.title_of(d.standard_type) if d.standard_type else "", d.get_conformance_display()
                 if d.standard_type else "", "・".join(sorted({r.format for r in d.resources.all() if r.format})),
                 timezone.localtime(d.updated_at).strftime("%Y-%m-%d %H:%M"),
                 request.build_absolute_uri(d.get_absolute_url())] for d in datasets)
        return tabular.table_response(fmt, f"オープンデータ_{timezone.localdate():%Y%m%d}", EXPORT_HEADER, rows)
    size = req.page_size
    result = search.run(request.user, q=req.q, filters=filters, sort=sort, start=(req.page - 1) * size, rows=size,
                        facet_fields=SEARCHED)
    owners = result.snapshot.owner_titles
    labels = _facet_labels(owners)
    facets = []
    for name, label in (search.FACETS | search.FILTERS).items():
        chosen = set(req.filters[name])
        if name == "visibility" and not chosen and {v for v, _c in result.facets.get(name, [])} <= {Visibility.PUBLIC}:
            continue  # someone who sees no 庁内限定 dataset has nothing to choose here
        pairs = result.facets.get(name, [])
        shown = pairs[:30] + [(v, c) for v, c in pairs[30:] if v in chosen]  # a chosen value stays removable
        values = [FacetValue(v, labels.get(name, {}).get(v, v), c, v in chosen) for v, c in shown]
        facets.append((name, label, values))
    pages = max(1, -(-result.count // size))
    base_qs = req.querystring(page=False)
    page = min(req.page, pages)

    def page_qs(number):
        return urlencode([(k, v) for k, v in req.params(page=False)] + [("page", number)])

    return render(request, "opendata/index.html", {
        "req": req, "result": result, "facet_panel": facet_panel(req, facets, form="opendata-search"),
        "page": page, "pages": pages, "base_qs": base_qs,
        "prev_qs": page_qs(page - 1) if page > 1 else "", "next_qs": page_qs(page + 1) if page < pages else "",
        "sort": sort, "sorts": [(k, label, urlencode([(a, b) for a, b in req.params(page=False) if a != "sort"]
                                                      + [("sort", k)]))
                                for k, label in CatalogRequest.spec.sorts.items() if k != "relevance" or req.q],
        "can_manage": bool(queries.managed_owners(request.user)) if request.user.is_authenticated else False,
        "sector_names": sector_names(),
    })


def _preview(resource) -> dict | None:
    """The first rows of a CSV/XLSX file resource (header + PREVIEW_ROWS), or None."""
    if not resource.file or resource.format not in ("CSV", "XLSX") or (resource.size or 0) > PREVIEW_MAX_BYTES:
        return None
    try:
        with resource.file.open("rb") as handle:
            data = handle.read()
        rows = []
        if resource.format == "XLSX":
            records = tabular._xlsx_records(data, tabular.Limits.of(max_bytes=PREVIEW_MAX_BYTES))
            for _number, raw in records:
                rows.append([tabular.cell_text(v) for v in raw])
                if len(rows) > PREVIEW_ROWS:
                    break
        else:
            text, _encoding = tabular.decode_csv_bytes(data)
            for raw in csv.reader(io.StringIO(text, newline="")):
                rows.append(raw)
                if len(rows) > PREVIEW_ROWS:
                    break
    except (tabular.TableError, OSError, csv.Error) as exc:
        return {"error": str(exc)}
    except Exception:  # a file no reader foresaw must not take down a public page: the preview is a courtesy
        log.exception("preview of resource %s failed", resource.pk)
        return {"error": "ファイルを読み込めません"}
    if not rows:
        return None
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return {"header": rows[0], "rows": rows[1:]}


def detail(request, name):
    return _detail_page(request, queries.get_dataset(request.user, name))


def _detail_page(request, dataset, *, status=200, use_form=None, moderated=None):
    """The dataset page; after a refused use case (or moderation: `moderated` = (use id, form)), with that form bound."""
    resources = [(r, _preview(r)) for r in dataset.resources.all()]
    names = sector_names()
    return render(request, "opendata/detail.html", {
        "dataset": dataset, "owner": owner_of(dataset), "resources": resources,
        "sectors": [(c, names.get(c, c)) for c in dataset.sectors],
        "standard_title": standard.title_of(dataset.standard_type) if dataset.standard_type else "",
        "can_manage": access.can(request.user, "opendata.manage", dataset),
        "use_cases": queries.use_cases(request.user, dataset),
        "can_register_use": access.can(request.user, "opendata.register_use", dataset),
        "use_form": use_form or UseCaseForm(), "moderated": moderated,
    }, status=status)


def download(request, name, uid):
    dataset = queries.get_dataset(request.user, name)
    resource = queries.get_resource(request.user, uid, dataset)
    if not resource.file:
        actions.count_use(dataset, UsageKind.DOWNLOAD, resource=resource,
                          user_agent=request.headers.get("User-Agent", ""))
        return HttpResponseRedirect(resource.url)
    try:
        handle = resource.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("ファイルが見つかりません") from None
    actions.count_use(dataset, UsageKind.DOWNLOAD, resource=resource, user_agent=request.headers.get("User-Agent", ""))
    filename = resource.file.name.rsplit("/", 1)[-1]
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


def owner(request, key):
    found = queries.owner_by_key(key)
    datasets = (queries.datasets_of_owner(request.user, found).select_related("municipality__prefecture", "prefecture")
                .prefetch_related("resources").order_by("name"))
    page = Paginator(datasets, 50).get_page(request.GET.get("page"))
    municipality = Municipality.objects.filter(code=found.municipality_id).first() if found.municipality_id else None
    return render(request, "opendata/owner.html", {
        "owner": found, "page": page, "summary": queries.standard_summary(request.user, found),
        "municipality": municipality,
        "prefecture": Prefecture.objects.filter(code=found.prefecture_id).first() if found.prefecture_id else None,
        "standard_titles": dict(standard.choices()),
    })


STANDARDS_HEADER = ["都道府県コード", "都道府県", "市区町村数", "いずれかを公開"]


def standards(request):
    types, rows = queries.standard_by_prefecture()
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        header = [*STANDARDS_HEADER, *(h for _key, title in types for h in (f"{title}（公開）", f"{title}（準拠）"))]
        return tabular.table_response(fmt, "標準データセットの公開状況", header, (
            [row["prefecture"].code, row["prefecture"].name, row["municipalities"], row["any"],
             *(n for _key, published, conforming, *_codes in row["counts"] for n in (published, conforming))]
            for row in rows))
    schemas = list(standard.schemas().values())
    return render(request, "opendata/standards.html", {
        "types": types, "rows": rows, "schemas": schemas,
        "unconfirmed_schemas": [s for s in schemas if not s.confirmed]})


def standards_map(request):
    """The national map's values: municipality → how many standard dataset types it publishes."""
    titles = dict(standard.choices())
    values = {code: {"count": len(kinds), "label": f"標準データセット{len(kinds)}種類を公開（"
                     + "、".join(titles.get(k, k) for k in sorted(kinds)) + "）"}
              for code, kinds in queries.standard_types_by_municipality().items()}
    return JsonResponse({"values": values, "types": len(titles)}, json_dumps_params={"ensure_ascii": False})


def validate(request):
    report = None
    form = ValidateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = actions.read_upload(upload)
        except Invalid as exc:
            form.add_error("file", exc.errors.get("file"))
        else:
            owner_ = _validation_owner(form.cleaned_data.get("code") or "")
            if owner_ is False:
                form.add_error("code", "団体コードが正しくありません（6桁、検査数字を含む）")
            else:
                report = standard.validate(data, upload.name, form.cleaned_data["schema"], owner_ or None)
    return render(request, "opendata/validate.html", {
        "form": form, "report": report, "schema": standard.schemas().get(form.data.get("schema", "")) if report
        else None})


def _validation_owner(code: str):
    code = code.strip()
    if not code:
        return None
    if not is_valid_code(code):
        return False
    if Prefecture.objects.filter(lg_code=code).exists():
        return actions.validation_owner("", code[:2])
    return actions.validation_owner(code, code[:2])


USES_HEADER = ["利用事例", "URL", "説明", "使用データ", "使用データのURL", "登録日"]


def use_cases(request):
    uses = queries.public_use_cases().order_by("-created_at", "pk")
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return tabular.table_response(fmt, "オープンデータの利用事例", USES_HEADER, (
            [u.title, u.url, u.description, u.dataset.title, request.build_absolute_uri(u.dataset.get_absolute_url()),
             timezone.localtime(u.created_at).strftime("%Y-%m-%d")] for u in uses))
    page = Paginator(uses, 30).get_page(request.GET.get("page"))
    return render(request, "opendata/uses.html", {"page": page})


# ---- Management (signed in) ------------------------------------------------------------------------------------

def _owner_from_key(key: str):
    if key == NATIONAL:
        return None
    municipality = Municipality.objects.filter(code=key).first()
    if municipality is not None:
        return municipality
    prefecture = Prefecture.objects.filter(lg_code=key).first()
    if prefecture is None:
        raise Http404("団体が見つかりません")
    return prefecture


MANAGE_HEADER = ["URL名", "タイトル", "公開団体", "公開範囲", "標準データセット", "準拠", "更新日時", "URL"]


@login_required
def manage(request):
    owners = queries.managed_owners(request.user)
    if not owners:
        raise access.PermissionDenied("データセットを管理する権限がありません")
    datasets = queries.managed_datasets(request.user).select_related("municipality__prefecture", "prefecture")
    datasets = datasets.order_by("-updated_at", "name")
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return tabular.table_response(fmt, "管理できるデータセット", MANAGE_HEADER, (
            [d.name, d.title, d.municipality.full_name if d.municipality else
             (d.prefecture.name if d.prefecture else "国（総務省）"), d.get_visibility_display(),
             standard.title_of(d.standard_type) if d.standard_type else "",
             d.get_conformance_display() if d.standard_type else "",
             timezone.localtime(d.updated_at).strftime("%Y-%m-%d %H:%M"),
             request.build_absolute_uri(d.get_absolute_url())] for d in datasets))
    page = Paginator(datasets, 50).get_page(request.GET.get("page"))
    return render(request, "opendata/manage.html", {"page": page})


def _apply_errors(form, exc: Invalid):
    for field, reason in exc.problems:
        form.add_error(field if field in form.fields else None, reason)


@login_required
def create(request):
    owners = queries.managed_owners(request.user)
    if not owners:
        raise access.PermissionDenied("データセットを管理する権限がありません")
    form = DatasetForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = actions.create_dataset(request.user, _owner_from_key(form.cleaned_data["owner"]), form.values())
        except Invalid as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"「{dataset.title}」を作成しました。続けてファイルを登録してください")
            return redirect("opendata:resources", dataset.name)
    return render(request, "opendata/edit.html", {"form": form, "dataset": None}, status=422 if form.errors else 200)


@login_required
def edit(request, name):
    dataset = queries.get_dataset(request.user, name)
    access.require(request.user, "opendata.manage", dataset)
    if request.method == "POST" and request.POST.get("delete"):
        try:
            actions.delete_dataset(request.user, dataset, version=request.POST.get("version"))
        except (Conflict, Invalid) as exc:
            messages.error(request, str(exc))
            return redirect("opendata:edit", dataset.name)
        messages.success(request, f"「{dataset.title}」を削除しました")
        return redirect("opendata:manage")
    form = DatasetForm(request.POST or None, initial=_dataset_initial(dataset), editing=True)
    status = 200
    if request.method == "POST":
        saved, status = save_or_refuse(form, lambda: actions.update_dataset(
            request.user, dataset, form.values(), version=form.cleaned_data.get("version")), stored=_dataset_initial)
        if saved is not None:
            messages.success(request, f"「{saved.title}」を保存しました")
            return redirect(saved.get_absolute_url())
    return render(request, "opendata/edit.html", {"form": form, "dataset": dataset}, status=status)


def _dataset_initial(dataset) -> dict:
    initial = {k: getattr(dataset, k) for k in ("name", "title", "notes", "license", "license_other", "sectors",
                                                "frequency", "standard_type", "visibility", "version")}
    initial["tags"] = ", ".join(dataset.tags)
    return initial


RESOURCES_HEADER = ["ID", "名称", "形式", "サイズ（バイト）", "標準の検証", "誤り（件）", "説明", "URL", "更新日時"]


def _validation_label(resource) -> str:
    if not resource.validation:
        return ""
    return "準拠" if resource.validation.get("ok") else "要修正"


@login_required
def resources(request, name):
    dataset = queries.get_dataset(request.user, name)
    access.require(request.user, "opendata.manage", dataset)
    fmt = request.GET.get("format", "") if request.method == "GET" else ""
    if fmt in ("csv", "xlsx"):  # the rows of 登録済みのリソース, in the page's order
        return tabular.table_response(fmt, f"リソース_{dataset.name}", RESOURCES_HEADER, (
            [str(r.uid), r.name, r.format, r.size, _validation_label(r),
             r.validation.get("errors", 0) if r.validation else None, r.description,
             resource_url(request, r), timezone.localtime(r.updated_at).strftime("%Y-%m-%d %H:%M")]
            for r in dataset.resources.select_related("dataset")))
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.POST.get("delete"):
        resource = queries.get_resource(request.user, request.POST["delete"], dataset)
        actions.delete_resource(request.user, resource)
        messages.success(request, f"「{resource.name}」を削除しました")
        return redirect("opendata:resources", dataset.name)
    if request.method == "POST" and form.is_valid():
        try:
            resource = actions.add_resource(request.user, dataset, name=form.cleaned_data["name"],
                                            upload=form.cleaned_data["file"], url=form.cleaned_data["url"],
                                            format=form.cleaned_data["format"],
                                            description=form.cleaned_data["description"])
        except Invalid as exc:
            _apply_errors(form, exc)
        else:
            note = ""
            if resource.validation:
                note = "（標準データセットに準拠しています）" if resource.validation["ok"] else \
                    f"（標準データセットの検証で{resource.validation['errors']}件の誤りがあります）"
            messages.success(request, f"「{resource.name}」を登録しました{note}")
            return redirect("opendata:resources", dataset.name)
    return render(request, "opendata/resources.html", {"dataset": dataset, "form": form,
                                                        "resources": dataset.resources.all()},
                  status=422 if request.method == "POST" else 200)


USAGE_HEADER = ["月", "ページ閲覧", "ダウンロード", "API", "合計"]


@login_required
def usage(request, name):
    dataset = queries.get_dataset(request.user, name)
    access.require(request.user, "opendata.view_usage", dataset)
    pageviews.COUNTER.flush()  # this process's pending page views, so the owner sees them now
    months = queries.usage_by_month(dataset)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return tabular.table_response(fmt, f"利用状況_{dataset.name}", USAGE_HEADER, (
            [f"{m['month']:%Y-%m}", m["view"], m["download"], m["api"], m["total"]] for m in months))
    peak = max([m["total"] for m in months] or [0]) or 1
    for m in months:
        m["width"] = round(100 * m["total"] / peak, 1)
    return render(request, "opendata/usage.html", {"dataset": dataset, "months": months,
                                                    "by_resource": queries.usage_by_resource(dataset)})


@login_required
@require_POST
def register_use(request, name):
    dataset = queries.get_dataset(request.user, name)
    form = UseCaseForm(request.POST)
    saved, status = save_or_refuse(form, lambda: actions.register_use_case(request.user, dataset, **form.cleaned_data))
    if saved is None:
        return _detail_page(request, dataset, status=status, use_form=form)
    messages.success(request, "利用事例を登録しました。データの公開団体が確認した後に掲載されます")
    return redirect(dataset.get_absolute_url() + "#uses")


@login_required
@require_POST
def moderate_use(request, name, pk):
    dataset = queries.get_dataset(request.user, name)
    use = UseCase.objects.filter(dataset=dataset, pk=pk).first()
    if use is None:
        raise Http404("利用事例が見つかりません")
    form = ModerateUseForm(request.POST)

    def moderate():
        chosen = form.cleaned_data["status"]
        try:
            return actions.moderate_use_case(request.user, use, chosen, version=form.cleaned_data["version"])
        except Conflict as exc:
            raise Conflict(_decided_first(exc.current, chosen), current=exc.current) from None

    saved, status = save_or_refuse(form, moderate)
    if saved is None:
        return _detail_page(request, dataset, status=status, moderated=(use.pk, form))
    messages.success(request, f"「{saved.title}」を「{saved.get_status_display()}」にしました")
    return redirect(reverse("opendata:detail", args=[dataset.name]) + "#uses")


def _decided_first(current, chosen: str) -> str:
    """What a manager whose page was stale is told: the other decision stands and their own choice, named, was not
    applied; the page shows the buttons again with the version now stored, so pressing one again is deliberate."""
    if current is None:
        return Conflict.GONE
    decided = f"ほかの管理者が先にこの利用事例を「{current.get_status_display()}」にしました。"
    if current.status == chosen:
        return decided
    label = dict(UseCaseStatus.choices).get(chosen, chosen)
    return f"{decided}あなたが選んだ「{label}」にはしていません。「{label}」にする場合は、もう一度押してください。"
