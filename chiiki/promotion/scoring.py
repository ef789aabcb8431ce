"""The model-region candidate score: one formula, shown on the page as text and computed here.

Components (each 0–1) for a municipality in 年度 Y, over every sector of the roadmap:
- implemented  S = sectors at 実装済 or 自走 in Y ÷ sectors
- progress     P = Σ max(0, points(Y) − points(Y−3)) ÷ (sectors × 5), points 未着手 0 … 自走 5 (carry-over included)
- commitment   C = 1 when the municipality recorded a 首長のコミットメント declared on or before today, else 0
- plans        L = 1 when a published (公開・完了) implementation plan of the funding app that starts in Y or earlier
                 names the municipality (策定団体 or 参加市区町村), else 0
score = 100 × (wS·S + wP·P + wC·C + wL·L) ÷ (wS + wP + wC + wL), one decimal.
"""

from dataclasses import dataclass

from chiiki.progress.models import IMPLEMENTED_STAGES, STAGE_RANK

MAX_POINTS = 5
PROGRESS_YEARS = 3


@dataclass(frozen=True)
class Weights:
    implemented: int
    progress: int
    commitment: int
    plans: int = 0

    @property
    def total(self) -> int:
        return self.implemented + self.progress + self.commitment + self.plans


def formula_text(weights: Weights, max_population: int) -> str:
    return (
        f"対象: 人口 {max_population:,}人以下の市区町村（人口が登録されている団体）。"
        f"スコア = 100 ×（{weights.implemented}×実装 + {weights.progress}×前進 + {weights.commitment}×コミットメント"
        f" + {weights.plans}×計画）"
        f" ÷ {weights.total}。"
        "実装 = 実装済・自走の分野数 ÷ 分野数。"
        f"前進 = 各分野の段階の点数の直近{PROGRESS_YEARS}年度の伸び（下がった分野は0）の合計 ÷（分野数 × {MAX_POINTS}）"
        "（点数は 未着手 0・検討中 1・計画策定 2・実証中 3・実装済 4・自走 5、記録のない年度は繰越）。"
        "コミットメント = 首長のコミットメントの記録があれば 1、なければ 0。"
        "計画 = その年度までに始まる公開中（公開・完了）の実装計画に策定団体または参加団体として載っていれば 1、"
        "なければ 0。"
    )


def components(stages_now: dict[str, str], stages_before: dict[str, str], sectors: list[str],
               committed: bool, planned: bool = False) -> dict[str, float]:
    """The four components of one municipality; stages_* map sector → stage (missing = 未着手)."""
    if not sectors:
        return {"implemented": 0.0, "progress": 0.0, "commitment": 1.0 if committed else 0.0,
                "plans": 1.0 if planned else 0.0}
    implemented = sum(1 for s in sectors if stages_now.get(s, "not_started") in IMPLEMENTED_STAGES)
    gain = sum(max(0, STAGE_RANK[stages_now.get(s, "not_started")] - STAGE_RANK[stages_before.get(s, "not_started")])
               for s in sectors)
    return {"implemented": implemented / len(sectors), "progress": gain / (len(sectors) * MAX_POINTS),
            "commitment": 1.0 if committed else 0.0, "plans": 1.0 if planned else 0.0}


def score(parts: dict[str, float], weights: Weights) -> float:
    if weights.total <= 0:
        return 0.0
    value = (weights.implemented * parts["implemented"] + weights.progress * parts["progress"]
             + weights.commitment * parts["commitment"] + weights.plans * parts.get("plans", 0.0)) / weights.total
    return round(100 * value, 1)
