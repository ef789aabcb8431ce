"""The values of one progress cell, checked the same way for a single edit (web, API) and every import row."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from chiiki.core.fiscal import current_fiscal_year, fiscal_year_label
from chiiki.core.text import control_character_problem, fold

from .models import Stage

MAX_NOTE = 2000
MAX_EVIDENCE_URL = 500  # ProgressRecord.evidence_url max_length

_URL = URLValidator(schemes=["http", "https"])
_STAGES = {fold(stage.value): stage.value for stage in Stage} | {fold(str(stage.label)): stage.value for stage in Stage}
_STAGES[fold("自走（補助なしで運用）")] = Stage.SELF_SUSTAINING.value
STAGE_HINT = "・".join(str(s.label) for s in Stage)


def clean_stage(raw: str) -> str:
    """A stage code from its code or Japanese label (any width/case)."""
    if not isinstance(raw, str) or not raw:
        raise ValueError("段階が空です")
    stage = _STAGES.get(fold(raw))
    if stage is None:
        raise ValueError(f"段階を判別できません: {raw}（{STAGE_HINT} のいずれか）")
    return stage


def clean_note(raw: str) -> str:
    problem = control_character_problem(raw)
    if problem:
        raise ValueError(f"備考に{problem}")
    note = (raw or "").strip()
    if len(note) > MAX_NOTE:
        raise ValueError(f"備考は{MAX_NOTE}文字以内で入力してください")
    return note


def clean_evidence_url(raw: str) -> str:
    problem = control_character_problem(raw)
    if problem:
        raise ValueError(f"根拠URLに{problem}")
    url = (raw or "").strip()
    if not url:
        return ""
    if len(url) > MAX_EVIDENCE_URL:
        raise ValueError(f"根拠URLは{MAX_EVIDENCE_URL}文字以内で入力してください")
    try:
        _URL(url)
    except ValidationError:
        raise ValueError("根拠URLは http:// または https:// で始まるURLを入力してください") from None
    return url


def fiscal_year_window() -> tuple[int, int]:
    """The 年度 a progress record may have (settings PROGRESS_FIRST_FISCAL_YEAR … current 年度 + PROGRESS_YEARS_AHEAD)."""
    return settings.PROGRESS_FIRST_FISCAL_YEAR, current_fiscal_year() + settings.PROGRESS_YEARS_AHEAD


def check_fiscal_year(year: int) -> int:
    first, last = fiscal_year_window()
    if not first <= year <= last:
        raise ValueError(f"年度は{fiscal_year_label(first)}（{first}）から{fiscal_year_label(last)}（{last}）までです: {year}")
    return year

