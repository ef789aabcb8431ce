"""Pages with several tables name each one (caption, aria-label, or aria-labelledby pointing at an element of the
page), so a screen reader's list of tables tells them apart; and no id is used twice on those pages."""

import collections
import re

import pytest

from chiiki.access import SYSTEM
from chiiki.core.fiscal import current_fiscal_year
from chiiki.opendata.tests.samples import make_catalog as make_opendata_catalog
from chiiki.pdca.tests import tour as pdca_tour
from chiiki.progress.imports import PROGRESS
from chiiki.promotion import actions as promotion_actions
from chiiki.talent.tests import tour as talent_tour

pytestmark = pytest.mark.django_db

# (who, url): the pages where a crawl found tables without a name, and the talent pages with several tables.
PAGES = [
    (None, "/progress/"), (None, "/progress/prefectures/13/"), (None, "/progress/municipalities/132012/"),
    ("hachioji", "/progress/municipalities/132012/"), (None, "/pdca/kpis/DIGIDEN-1500/"),
    (None, "/pdca/kpis/TOKYO-DISASTER/"), (None, "/pdca/reviews/{review}/"), ("admin", "/pdca/reviews/{review}/"),
    (None, "/promotion/"), (None, "/promotion/model-regions/132012/"), (None, "/opendata/dataset/hachioji-aed/"),
    ("hachioji", "/opendata/dataset/hachioji-aed/"), (None, "/talent/analytics/"), ("tokyo", "/talent/analytics/"),
    (None, "/talent/capabilities/"), ("hachioji", "/talent/requests/{talent_running}/"),
    ("advisor", "/talent/requests/{talent_running}/"),
]


@pytest.fixture
def site(users, register, settings, tmp_path):
    """Something in every table of those pages: progress records, KPIs and a review, a model region with a neighbour,
    a dataset with its file, the talent vocabulary with a dispatch under way."""
    register["municipalities"]["132012"].neighbours.add(register["municipalities"]["131016"])
    settings.OPENDATA_FILES_DIR = tmp_path / "opendata"
    make_opendata_catalog()
    year = current_fiscal_year()
    lines = ["団体コード,分野,年度,段階,備考,根拠URL", f"132012,disaster,{year},planned,防災無線,https://example.jp/a",
             f"131016,disaster,{year},implemented,,", f"322016,education,{year},piloting,,",
             f"132012,health,{year - 1},implemented,,"]
    assert PROGRESS.run(SYSTEM, ("\r\n".join(lines) + "\r\n").encode("utf-8-sig"), "seed.csv").committed
    pdca_tour.seed_site(users)
    promotion_actions.designate(SYSTEM, users["hachioji"].municipality, fiscal_year=year, sectors=["disaster"],
                                story="防災のパッケージ")
    return {**pdca_tour.tour_values(), **talent_tour.seed(users)}


def _ids(page: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', page)


def _unnamed_tables(page: str) -> list[str]:
    ids = set(_ids(page))
    tables = re.findall(r"(<table\b[^>]*>)(.*?)</table>", page, re.S)
    if len(tables) < 2:
        return []
    unnamed = []
    for tag, body in tables:
        labelledby = re.search(r'aria-labelledby="([^"]*)"', tag)
        named = (body.lstrip().startswith("<caption") or re.search(r'aria-label="[^"]+"', tag)
                 or labelledby and labelledby.group(1).split() and all(i in ids for i in labelledby.group(1).split()))
        if not named:
            unnamed.append(tag)
    return unnamed


@pytest.mark.parametrize("who, url", PAGES)
def test_each_table_of_a_page_has_a_name_and_ids_are_unique(client_for, users, site, who, url):
    response = client_for(users[who] if who else None).get(url.format(**site))
    assert response.status_code == 200
    page = response.content.decode()
    assert _unnamed_tables(page) == []
    assert [i for i, n in collections.Counter(_ids(page)).items() if n > 1] == []
