"""Reads of the national register shared by views, the API and other apps."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from chiiki.core.codes import InvalidCode, is_ascii_digits, normalize_code
from chiiki.core.text import fold, fold_kana, nfkc

from .models import Municipality, MunicipalityKind, Prefecture

POPULATION_CLASSES = [
    ("lt10k", "< 1万", 0, 10_000),
    ("10k_50k", "1–5万", 10_000, 50_000),
    ("50k_300k", "5–30万", 50_000, 300_000),
    ("ge300k", "≥ 30万", 300_000, None),
]
POPULATION_CLASS_LABELS = {code: label for code, label, _, _ in POPULATION_CLASSES}
KIND_LABELS = dict(MunicipalityKind.choices)


def population_class(population: int | None) -> str | None:
    """Peer group by population: "lt10k" | "10k_50k" | "50k_300k" | "ge300k"; None when unknown."""
    if population is None:
        return None
    for code, _label, low, high in POPULATION_CLASSES:
        if population >= low and (high is None or population < high):
            return code
    return None


def population_class_label(code: str | None) -> str:
    return POPULATION_CLASS_LABELS.get(code, "未登録")


def municipalities() -> QuerySet:
    return Municipality.objects.select_related("prefecture")


def search_municipalities(q: str | None = None, prefecture: str | None = None, kind: str | None = None) -> QuerySet:
    """Municipalities matching q (name, kana with small/large kana folded, or a 5/6-digit code), by code.

    prefecture is a 2-digit code (a 6-digit prefecture 団体コード or a name, with or without 都・府・県, also works);
    kind a MunicipalityKind value. A q that starts with a prefecture's name (東京都八王子市) also matches the rest
    of it within that prefecture. Unknown filter values give no rows rather than everything.
    """
    queryset = municipalities()
    if prefecture:
        prefecture = nfkc(str(prefecture)).strip()
        if is_ascii_digits(prefecture) and len(prefecture) in (1, 2):
            queryset = queryset.filter(prefecture_id=prefecture.zfill(2))
        elif is_ascii_digits(prefecture) and len(prefecture) == 6:
            queryset = queryset.filter(prefecture__lg_code=prefecture)
        else:
            # 「東京」 for 東京都, 「京都」 for 京都府; 北海道 is only ever written whole.
            queryset = queryset.filter(Q(prefecture__name=prefecture)
                                       | Q(prefecture__name__in=[prefecture + suffix for suffix in "都府県"]))
    if kind:
        queryset = queryset.filter(kind=kind) if kind in KIND_LABELS else queryset.none()
    text = fold(q or "")
    if text:
        digits = text.replace("-", "")
        if is_ascii_digits(digits):
            condition = Q(code__startswith=digits) if len(digits) < 6 else Q(code=digits)
            if len(digits) == 5:
                try:
                    condition |= Q(code=normalize_code(digits))
                except InvalidCode:
                    pass
            queryset = queryset.filter(condition)
        else:
            condition = (Q(name_folded__contains=text) | Q(name__contains=q.strip())
                         | Q(kana_folded__contains=fold_kana(text)) | Q(prefecture__name__contains=text))
            named, rest = _split_prefecture(text)
            if named is not None and rest:
                condition |= Q(prefecture=named, name_folded__contains=rest)
            queryset = queryset.filter(condition)
    return queryset.order_by("code")


def _split_prefecture(folded: str) -> tuple[Prefecture | None, str]:
    """(prefecture, the rest) when folded text starts with a prefecture's full name (長野県長野市), else (None, text)."""
    for prefecture in Prefecture.objects.only("code", "name"):
        name = fold(prefecture.name)
        if folded.startswith(name):
            return prefecture, folded[len(name):].strip()
    return None, folded


def get_municipality(code: str) -> Municipality:
    """The municipality for a 5- or 6-digit code (full-width digits too); Http404 for an invalid or unknown one.

    The one lookup by code for pages, the API and other apps (programs' eligibility, progress).
    """
    try:
        normalized = normalize_code(code)
    except InvalidCode as exc:
        raise Http404(f"団体コードが正しくありません: {exc}") from None
    municipality = municipalities().filter(code=normalized).first()
    if municipality is None:
        raise Http404(f"団体コード {normalized} の市区町村は登録されていません")
    return municipality


def find_municipality(raw: str) -> tuple[Municipality | None, list[Municipality]]:
    """A municipality from what a person types: '202011', '20201', '長野市', '長野県長野市' or '202011 長野県長野市'
    (the form the pages' datalists fill in).

    Returns (municipality, []) when one matches, (None, candidates) when a name is ambiguous, (None, []) for
    empty input; Http404 (Japanese message) for an invalid code or a name that matches nothing.
    """
    raw = (raw or "").strip()
    if not raw:
        return None, []
    head = raw.split()[0]
    if is_ascii_digits(nfkc(head)):
        return get_municipality(head), []
    folded = fold(raw)
    matches = list(municipalities().filter(name_folded=folded)[:10])
    if not matches:
        matches = list(municipalities().filter(name_folded__contains=folded)[:10])
        if len(matches) != 1:
            # "長野県長野市": the full name, prefecture + name.
            prefecture, rest = _split_prefecture(folded)
            if prefecture is not None:
                full = municipalities().filter(prefecture=prefecture, name_folded=rest).first()
                if full is not None:
                    return full, []
    if len(matches) == 1:
        return matches[0], []
    if not matches:
        raise Http404(f"「{raw}」に当たる市区町村が見つかりません。団体コードか正式な名称で指定してください")
    return None, matches


def get_prefecture(code: str) -> Prefecture:
    """A prefecture by 2-digit code (or its 6-digit 団体コード); Http404 otherwise."""
    text = nfkc(str(code or "")).strip()
    prefecture = None
    if is_ascii_digits(text) and len(text) in (1, 2):
        prefecture = Prefecture.objects.filter(code=text.zfill(2)).first()
    elif is_ascii_digits(text) and len(text) == 6:
        prefecture = Prefecture.objects.filter(lg_code=text).first()
    if prefecture is None:
        raise Http404("該当する都道府県が見つかりません")
    return prefecture


def prefectures_with_counts() -> QuerySet:
    return Prefecture.objects.annotate(municipality_count=Count("municipalities")).order_by("code")


def kind_counts(queryset: QuerySet) -> list[tuple[str, str, int]]:
    """[(kind, label, count)] in the order of MunicipalityKind, zero counts included."""
    counts = dict(queryset.order_by().values_list("kind").annotate(n=Count("code")))
    return [(kind, label, counts.get(kind, 0)) for kind, label in MunicipalityKind.choices]


def neighbours_of(municipality: Municipality) -> QuerySet:
    # What a list of neighbours shows: not their boundaries (the largest column) nor their figures.
    return (municipality.neighbours.select_related("prefecture").only("code", "name", "prefecture__name")
            .order_by("code"))


EXPORT_HEADER = ["団体コード", "都道府県コード", "都道府県", "名称", "よみ", "区分", "人口", "人口の基準年", "人口の出典",
                 "面積（km²）", "面積の出典", "財政力指数", "過疎地域", "離島地域", "中山間地域", "役所の緯度", "役所の経度"]


def _flag(value) -> str:
    return "" if value is None else ("該当" if value else "非該当")


def export_rows(queryset: QuerySet):
    """Rows for CSV/XLSX export of a municipality list (blank = 未登録)."""
    for m in queryset:
        yield [
            m.code, m.prefecture_id, m.prefecture.name, m.name, m.kana, KIND_LABELS.get(m.kind, m.kind),
            m.population, m.population_year, m.population_source,
            float(m.area_km2) if m.area_km2 is not None else None, m.area_source,
            float(m.fiscal_strength_index) if m.fiscal_strength_index is not None else None,
            _flag(m.depopulated), _flag(m.remote_island), _flag(m.mountainous), m.lat, m.lng,
        ]
