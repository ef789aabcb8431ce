"""The catalog's stored codes in Japanese, for the change history (SupportProgram.history_display)."""

from chiiki.progress.models import Stage
from chiiki.roadmap.models import Sector

from .eligibility import PREFECTURE_NAMES, describe_rate_tiers
from .models import AREA_FLAGS, ENTITY_KINDS, PackageRole
from .windows import parse_windows


def _sector_names() -> dict[str, str]:
    return dict(Sector.objects.values_list("code", "name"))


def _names(values, names: dict) -> str:
    return "・".join(names.get(v, v) for v in values)


def history_value(field: str, value) -> str | None:
    if field == "sectors" and isinstance(value, list):
        return _names(value, _sector_names()) or "—"
    vocabularies = {
        "entity_kinds": ENTITY_KINDS, "entity_check_kinds": ENTITY_KINDS, "area_conditions": AREA_FLAGS,
        "stages": dict(Stage.choices), "package_roles": dict(PackageRole.choices),
    }
    if field in vocabularies and isinstance(value, list):
        return _names(value, vocabularies[field]) or "—"
    if field == "excluded_prefectures" and isinstance(value, list):
        return _names(value, PREFECTURE_NAMES) or "—"
    if field == "prerequisites" and isinstance(value, list):
        return "・".join(value) or "—"
    if field == "rate_tiers" and isinstance(value, str):
        return describe_rate_tiers(value) or value
    if field == "windows" and isinstance(value, str):
        try:
            return "・".join(w.label() for w in parse_windows(value)) or "—"
        except ValueError:
            return value
    return None
