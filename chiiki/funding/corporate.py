"""企業版ふるさと納税（地方創生応援税制）の rules: who may receive a pledge, and the tax relief estimate.

Every refusal has a Japanese reason (never a silent drop). The exclusion of 不交付団体 in the 三大都市圏 is read
from NonGrantStatus, which the national admin imports per 年度; a missing row is 要確認, never a guess.
"""

from dataclasses import dataclass

from .models import NonGrantStatus, TaxCreditSetting

MIN_PLEDGE = 100_000
TOKYO = "13"
DEDUCTION_SHARE = 30  # 損金算入 約3割 (%)
RESIDENT_SHARE, BUSINESS_SHARE, CORPORATE_SHARE = 40, 20, 10  # 税額控除: 法人住民税4割・法人事業税2割・法人税1割
CREDIT_SHARE = 60  # 税額控除は合計で最大6割（法人税分は法人住民税で控除しきれない分）


def credit_end_year() -> int:
    setting = TaxCreditSetting.objects.order_by("pk").first()
    return setting.credit_end_year if setting else TaxCreditSetting._meta.get_field("credit_end_year").default


def recipient_of(project) -> tuple[str, str]:
    """(団体コード used for the 不交付団体 flag, name) of the local government receiving."""
    plan = project.plan
    if plan.municipality_id:
        return plan.municipality_id, plan.municipality.full_name
    return plan.prefecture.lg_code, plan.prefecture.name


def refusals(company, project, amount: int, fiscal_year: int, no_return_declared: bool) -> list[tuple[str, str]]:
    """(field, reason) for every rule the pledge breaks; empty when it may be made. The plan and the 不交付団体
    status are read as they are: a pledge asks inside its transaction, under the locks their writers take."""
    problems = []
    if amount < MIN_PLEDGE:
        problems.append(("amount", f"寄附額は{MIN_PLEDGE:,}円以上にしてください（企業版ふるさと納税の下限）"))
    if not no_return_declared:
        problems.append(("no_return_declared", "寄附の代償として経済的な見返りを受けないことの申告が必要です"))
    plan = project.plan
    head = company.head_office
    if plan.municipality_id and plan.municipality_id == head.pk:
        problems.append(("head_office", f"本社が所在する市区町村（{head.full_name}）への寄附は対象外です"))
    elif not plan.municipality_id and plan.prefecture_id == head.prefecture_id:
        problems.append(("head_office", f"本社が所在する都道府県（{plan.prefecture.name}）への寄附は対象外です"))
    if not plan.municipality_id and plan.prefecture_id == TOKYO:
        problems.append(("recipient", "東京都への寄附は対象外です"))
    else:
        code, name = recipient_of(project)
        status = NonGrantStatus.objects.filter(code=code, fiscal_year=fiscal_year).first()
        if status is None:
            problems.append(("recipient", f"{name}が{fiscal_year}年度に三大都市圏の不交付団体に当たるか要確認です"
                                        "（区分が未登録のため申し出を受け付けられません。事務局の登録をお待ちください）"))
        elif status.excluded:
            problems.append(("recipient", f"{name}は{fiscal_year}年度、三大都市圏の不交付団体のため対象外です"))
    if plan.approved_on is None:
        problems.append(("plan", f"地域再生計画「{plan.name}」は認定されていません"))
    elif not plan.start_year <= fiscal_year <= plan.end_year:
        problems.append(("fiscal_year", f"{fiscal_year}年度に効力のある地域再生計画がこの事業を含んでいません"
                                        f"（「{plan.name}」の計画期間は{plan.start_year}〜{plan.end_year}年度）"))
    return problems


@dataclass
class Relief:
    amount: int
    fiscal_year: int
    end_year: int
    deduction: int
    resident: int
    business: int
    corporate: int

    @property
    def within_period(self) -> bool:
        return self.fiscal_year <= self.end_year

    @property
    def credit(self) -> int:
        return self.resident + self.business

    @property
    def total(self) -> int:
        return self.deduction + self.credit

    @property
    def net_cost(self) -> int:
        return self.amount - self.total

    @property
    def period_label(self) -> str:
        return (f"税額控除は{self.end_year}年度まで（令和7年度税制改正で延長）" if self.within_period
                else f"{self.fiscal_year}年度は制度期限後（税額控除は{self.end_year}年度まで）のため、損金算入のみ")


def relief(amount: int, fiscal_year: int, end_year: int | None = None) -> Relief:
    """損金算入 約3割 + 税額控除 最大6割（法人住民税4割・法人事業税2割、法人住民税で控除しきれない分は法人税で
    最大1割）= 最大約9割. The resident/business figures are the maxima; `corporate` is the most the 法人税 can take
    over when the 法人住民税 cannot carry its 4割 (already inside the 6割). Past the end year only the deduction."""
    end_year = credit_end_year() if end_year is None else end_year
    deduction = amount * DEDUCTION_SHARE // 100
    if fiscal_year > end_year:
        return Relief(amount, fiscal_year, end_year, deduction, 0, 0, 0)
    return Relief(amount, fiscal_year, end_year, deduction, amount * RESIDENT_SHARE // 100,
                  amount * BUSINESS_SHARE // 100, amount * CORPORATE_SHARE // 100)
