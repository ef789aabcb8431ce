"""The tax credit's end 年度 saved by two admins at once before any save (page form, live server): one save counts
and the others are told someone saved first (409) — none is silently dropped into a second settings row."""

from collections import Counter

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.funding.models import TaxCreditSetting
from chiiki.testing import posted_together

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8


def test_first_saves_at_once_keep_one_setting_and_refuse_the_rest(live_server, users):
    url = f"{live_server.url}/funding/tax-credit"
    statuses = posted_together(users["admin"], [(url, {"credit_end_year": str(2028 + i), "version": "1"})
                                                for i in range(COPIES)])
    assert Counter(statuses) == {302: 1, 409: COPIES - 1}, statuses
    setting = TaxCreditSetting.objects.get()
    assert setting.version == 2
    assert ChangeRecord.objects.filter(model__endswith="taxcreditsetting").count() == 1
