"""Campaign rules that need no database: status from dates and totals, the return-gift cap, days left."""

import datetime as dt
from dataclasses import dataclass

from .models import CampaignModel

GIFT_COST_SHARE = 0.3  # 返礼品の調達費は寄附額の3割以下（ふるさと納税の基準）

UPCOMING, OPEN, ACHIEVED, MISSED, ENDED = "upcoming", "open", "achieved", "missed", "ended"
STATUS_LABELS = {UPCOMING: "募集前", OPEN: "募集中", ACHIEVED: "達成", MISSED: "未達", ENDED: "終了"}


def status(campaign, raised: int, today: dt.date) -> str:
    """募集前 before the start; 達成 once the target is reached; 募集中 until the end date; afterwards 未達
    (All-or-Nothing: the project does not go ahead) or 終了 (All-in: kept even below target)."""
    if today < campaign.start_date:
        return UPCOMING
    if raised >= campaign.target_amount:
        return ACHIEVED
    if today <= campaign.end_date:
        return OPEN
    return MISSED if campaign.model == CampaignModel.ALL_OR_NOTHING else ENDED


def days_left(campaign, today: dt.date) -> int | None:
    """Days until the end date, the end date included (None once it has passed or before the start)."""
    if today < campaign.start_date or today > campaign.end_date:
        return None
    return (campaign.end_date - today).days + 1


def gift_cost_problem(tier, cost) -> str | None:
    if cost in (None, "") and tier in (None, ""):
        return None
    if tier in (None, "") or cost in (None, ""):
        return "返礼品を設けるときは、対象の寄附額と調達費の両方を入力してください"
    if cost > tier * GIFT_COST_SHARE:
        return (f"返礼品の調達費は寄附額の3割以下にしてください（{tier:,}円の3割は{int(tier * GIFT_COST_SHARE):,}円、"
                f"入力は{cost:,}円）")
    return None


@dataclass
class Progress:
    raised: int
    count: int
    status: str
    days_left: int | None
    percent: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def progress(campaign, raised: int, count: int, today: dt.date) -> Progress:
    percent = raised * 100 // campaign.target_amount if campaign.target_amount else 0
    return Progress(raised, count, status(campaign, raised, today), days_left(campaign, today), percent)
