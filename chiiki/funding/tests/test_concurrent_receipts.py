"""20 concurrent receipt posts against a live server (real HTTP, one connection per request): the total is exact.

Ten receipts are each posted twice at once (same 受付番号, same Idempotency-Key), so the race between the two
copies is real: each receipt counts once. A request that lost a lock race answers 409 (nothing written) and
the client sends it again, as the API documents; loops are bounded and nothing asserts on time.
"""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.utils import timezone

from chiiki.funding.models import Receipt

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
RETRIES = 5
TIMEOUT = 120


def _send(url, body, headers):
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_twenty_concurrent_posts_give_the_exact_total(live_server, receiving_campaign):

    today = timezone.localdate()
    campaign, keys = receiving_campaign
    url = f"{live_server.url}/api/v1/campaigns/{campaign.pk}/receipts"
    amounts = {f"C-{n:03d}": 1000 * (n + 1) for n in range(THREADS // 2)}
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def post(i):
        external_id = f"C-{i // 2:03d}"
        body = json.dumps({"external_id": external_id, "amount": amounts[external_id],
                           "received_on": str(today)}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {keys[i % 2]}",
                   "Idempotency-Key": f"key-{external_id}"}
        barrier.wait()
        for _attempt in range(RETRIES):
            status, payload = _send(url, body, headers)
            if status != 409:
                break
        results[i] = status

    threads = [threading.Thread(target=post, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * RETRIES)
    assert not any(thread.is_alive() for thread in threads)
    assert Counter(results) == {201: THREADS // 2, 200: THREADS // 2}, results
    assert Receipt.objects.filter(campaign=campaign).count() == THREADS // 2
    assert sum(Receipt.objects.filter(campaign=campaign).values_list("amount", flat=True)) == sum(amounts.values())
