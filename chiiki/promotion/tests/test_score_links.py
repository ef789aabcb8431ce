"""Every figure of a candidate's score and of the package advice leads to the rows behind it: each link is followed
and the page it opens must hold exactly the rows the figure counted (house rule: a link from every number to the
rows behind it)."""

import html as htmllib
import re

import pytest

from chiiki.access import SYSTEM
from chiiki.progress.models import STAGE_RANK
from chiiki.promotion import actions

from .test_funding_wiring import _plan
from .test_packages import ITEMSETS, towns  # noqa: F401 (fixture)
from .test_scoring import HAKODATE, MATSUMAE, scored  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
LABELS = {"education": "教育", "health": "医療・介護・健康", "tourism": "観光"}


def _link(page: str, testid: str, code: str) -> str:
    """The href of the link marked `testid` in the row of municipality `code`."""
    row = re.search(rf'<tr>(?:(?!</tr>).)*?/promotion/m/{code}/(?:(?!</tr>).)*</tr>', page, re.S).group(0)
    return htmllib.unescape(re.search(rf'href="([^"]+)" data-testid="{testid}"', row).group(1))


def _records(client, url: str) -> dict[str, str]:
    """The progress records page: sector name → stage, for its rows (one municipality's), and the count it says."""
    page = client.get(url).content.decode()
    rows = re.findall(r'data-label="団体コード">(\d+)</td>.*?data-label="分野">([^<]+)</td>\s*'
                      r'<td data-label="段階"><span class="stage stage--(\w+)"', page, re.S)
    count = int(re.search(r'data-testid="records-count">([\d,]+)<', page).group(1).replace(",", ""))
    assert count == len(rows)
    assert {code for code, _s, _st in rows} == {MATSUMAE}
    return {sector: stage for _c, sector, stage in rows}


def test_candidate_score_components_link_to_their_rows(client, scored):  # noqa: F811
    m = scored
    actions.record_commitment(SYSTEM, m[MATSUMAE], declared_on="2026-04-02", title="二度目の宣言",
                              document_url="https://example.jp/matsumae/2")
    actions.record_commitment(SYSTEM, m[HAKODATE], declared_on="2025-05-01", title="函館の宣言",
                              document_url="https://example.jp/hakodate")
    own = _plan(m[MATSUMAE], "education", [2024, 2025])
    shared = _plan(m[HAKODATE], "health", [2026, 2027], participants=[m[MATSUMAE]])  # 松前町 takes part
    later = _plan(m[MATSUMAE], "tourism", [2027, 2028])  # starts after 2026: not counted
    draft = _plan(m[MATSUMAE], "health", [2025, 2026], publish=False)  # a draft: not counted
    other = _plan(m[HAKODATE], "education", [2025, 2026])  # 函館市 alone
    page = client.get("/promotion/candidates/?fiscal_year=2026").content.decode()

    # 実装: the sectors at 実装済・自走 in 2026
    implemented = _records(client, _link(page, "candidate-implemented", MATSUMAE))
    assert implemented == {LABELS["education"]: "implemented", LABELS["health"]: "implemented"}
    assert re.search(r'data-testid="candidate-implemented">2分野<', page)

    # 前進: every sector in 2026 and in 2023; the figure is recomputed from the two pages' rows
    now = _records(client, _link(page, "candidate-progress", MATSUMAE))
    before = _records(client, _link(page, "candidate-progress-before", MATSUMAE))
    assert len(now) == len(before) == 8 and now[LABELS["tourism"]] == "considering" and before[LABELS["tourism"]] == "piloting"
    gained = sum(max(0, STAGE_RANK[now[s]] - STAGE_RANK[before[s]]) for s in now)
    shown = re.search(rf'municipality={MATSUMAE}" data-testid="candidate-progress">([\d.]+)<', page).group(1)
    assert gained == 6 and shown == f"{gained / 40:.2f}"

    # コミットメント: the municipality's recorded commitments, none of another's
    listed = client.get(_link(page, "candidate-commitment", MATSUMAE)).content.decode()
    table = listed.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert table.count('<th scope="row">') == 2 and "地域IoT実装宣言" in table and "二度目の宣言" in table
    assert "函館の宣言" not in table

    # 計画: the published plans starting in 2026 or earlier that name 松前町, owner or participant
    plans = client.get(_link(page, "candidate-plans", MATSUMAE)).content.decode()
    table = plans.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert sorted(re.findall(r'<a href="/funding/plans/(\d+)/">', table)) == sorted([str(own.pk), str(shared.pk)])
    for excluded in (later, draft, other):
        assert f'href="{excluded.get_absolute_url()}"' not in table


def _named(fragment: str) -> list[str]:
    return re.findall(r'/progress/municipalities/\d+/\?fiscal_year=\d+">([^<]+)</a>', fragment)


def test_package_support_and_confidence_base_link_to_the_municipalities_counted(client, towns):  # noqa: F811
    page = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026").content.decode()
    combos = re.findall(r'<tr id="(pkg-[\w-]+)"><th scope="row">.*?</tr>', page, re.S)
    assert sorted(combos) == ["pkg-education-health", "pkg-education-tourism"]  # the two with 3 supporters
    for anchor in combos:
        row = re.search(rf'<tr id="{anchor}">.*?</tr>', page, re.S).group(0)
        sectors = set(anchor.removeprefix("pkg-").split("-"))
        did_all = sorted(f"{k}町" for k, s in ITEMSETS.items() if sectors <= s)
        support = re.search(r'data-testid="package-support"><a href="#([\w-]+)">(\d+)</a>', row)
        members = re.search(rf'id="{support.group(1)}">(.*?)</td>', row, re.S).group(1)
        assert int(support.group(2)) == len(did_all) and sorted(_named(members)) == did_all
        for target, base in re.findall(r'<a href="#([\w-]+)" data-testid="package-base">(\d+)</a>', row):
            listed = re.search(rf'<details id="{target}"><summary>(.*?)を実装した.*?</summary>(.*?)</details>',
                               page, re.S)
            rest = {s for s, label in LABELS.items() if label in listed.group(1)}
            did_rest = sorted(f"{k}町" for k, s in ITEMSETS.items() if rest <= s)
            assert rest < sectors and int(base) == len(did_rest) and sorted(_named(listed.group(2))) == did_rest
    # The brief on the municipality's progress page links its support figures to the same rows
    brief = client.get(f"/progress/municipalities/{towns['M'].code}/?fiscal_year=2026").content.decode()
    linked = re.findall(rf'/promotion/m/{towns["M"].code}/\?fiscal_year=2026#(pkg-[\w-]+)-members">(\d+)</a>', brief)
    assert linked and all(f'<tr id="{a}">' in page and f'href="#{a}-members">{n}</a>' in page for a, n in linked)
