"""Latency of explained matching (chiiki.talent.matching.candidates) at scale, against a bare indexed query.

N synthetic profiles (default 10,000) with 2–8 capabilities each from the 78-item vocabulary, and a set of
requests with 1–3 required and 0–2 desired items, in a throwaway database: a temporary SQLite file, and a
database created and dropped on the PostgreSQL server of --postgres (default the development server on
127.0.0.1:55432; --postgres '' skips it). Each engine runs in its own child process.

For each request: p50/p95 of candidates(request) (the page's and the API's function), and of the baseline — the
profiles holding every required capability, one grouped query on the (capability, profile) index, no reasons,
no ranking. The issue's target: p95 ≤ 50 ms per request; the ratio says what the explanation costs.

    .venv/bin/python bench/talent_matching.py [--profiles 10000] [--requests 50] [--runs 5] [--postgres URL]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_PG = "postgres://postgres@127.0.0.1:55432/postgres"


def _setup(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chiiki.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chiiki.regions.reference import load as load_regions
    from chiiki.roadmap.reference import load as load_roadmap
    from chiiki.talent.reference import load_capabilities

    data = ROOT / "data"
    load_regions(data_dir=data)
    load_roadmap(data_dir=data)
    load_capabilities(data_dir=data)


def _populate(profiles: int, requests: int, seed: int = 20261201):
    from django.db import transaction

    from chiiki.core.fiscal import current_fiscal_year
    from chiiki.regions.models import Municipality, Prefecture
    from chiiki.talent.models import Capability, Kind, ProfileCapability, TalentProfile, TalentRequest

    rng = random.Random(seed)
    caps = list(Capability.objects.values_list("pk", "sector"))
    prefectures = list(Prefecture.objects.values_list("code", flat=True))
    kinds = list(Kind.values)
    with transaction.atomic():
        rows = [TalentProfile(display_name=f"ベンチ人材 {i:05d}", kind=rng.choice(kinds), sectors=[rng.choice(caps)[1]],
                              home_prefecture_id=rng.choice(prefectures), online_available=rng.random() < 0.6,
                              available_days=rng.choice([3, 6, 9, 12])) for i in range(profiles)]
        TalentProfile.objects.bulk_create(rows, batch_size=2000)
        ids = list(TalentProfile.objects.values_list("pk", flat=True))
        skills = [ProfileCapability(profile_id=pid, capability_id=c, level=rng.randint(1, 3))
                  for pid in ids for c in rng.sample([c for c, _ in caps], rng.randint(2, 8))]
        ProfileCapability.objects.bulk_create(skills, batch_size=5000)
        through = TalentProfile.prefectures_served.through
        through.objects.bulk_create([through(talentprofile_id=pid, prefecture_id=rng.choice(prefectures))
                                     for pid in ids], batch_size=5000)
        places = list(Municipality.objects.values_list("pk", flat=True)[:200])
        made = []
        for i in range(requests):
            cap_ids = rng.sample([c for c, _ in caps], 5)
            sector = next((s for c, s in caps if c == cap_ids[0] and s != "common"), "health")
            r = TalentRequest.objects.create(municipality_id=rng.choice(places), sector_id=sector,
                                             fiscal_year=current_fiscal_year(), title=f"ベンチ依頼 {i}",
                                             vision="ベンチ", status="received")
            r.required.set(cap_ids[:rng.randint(1, 3)])
            r.desired.set(cap_ids[3:3 + rng.randint(0, 2)])
            made.append(r)
    return made


def _baseline(request):
    from django.db.models import Count

    from chiiki.talent.models import ProfileCapability

    required = list(request.required.values_list("pk", flat=True))
    return list(ProfileCapability.objects.filter(capability_id__in=required).values("profile_id")
                .annotate(n=Count("capability_id")).filter(n=len(required)).values_list("profile_id", flat=True))


def _time(fn, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _p(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def child(database_url: str, profiles: int, requests: int, runs: int) -> dict:
    _setup(database_url)
    from chiiki.talent import matching

    made = _populate(profiles, requests)
    full, base, sizes = [], [], []
    for r in made:
        matching.candidates(r)  # warm the connection and the request's own rows
        full += _time(lambda r=r: matching.candidates(r), runs)
        base += _time(lambda r=r: _baseline(r), runs)
        sizes.append(len(_baseline(r)))
    from django.db import connection

    return {"engine": connection.vendor, "profiles": profiles, "requests": requests, "runs": runs,
            "candidates_p50_ms": round(statistics.median(full), 2), "candidates_p95_ms": round(_p(full, 0.95), 2),
            "baseline_p50_ms": round(statistics.median(base), 2), "baseline_p95_ms": round(_p(base, 0.95), 2),
            "ratio_p95": round(_p(full, 0.95) / max(_p(base, 0.95), 1e-6), 1),
            "median_full_matches": statistics.median(sizes)}


def _run_child(database_url: str, args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", database_url, "--profiles", str(args.profiles),
                          "--requests", str(args.requests), "--runs", str(args.runs)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pg_database(url: str):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    name = f"chiiki_bench_talent_{uuid.uuid4().hex[:8]}"
    conn = psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                           password=parts.password, dbname="postgres", autocommit=True)
    conn.execute(f'CREATE DATABASE "{name}"')
    return conn, name, f"{parts.scheme}://{parts.netloc}/{name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.profiles, args.requests, args.runs), ensure_ascii=False))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="chiiki-bench-talent-") as tmp:
        results.append(_run_child(f"sqlite:///{tmp}/bench.sqlite3", args))
    if args.postgres:
        conn, name, url = _pg_database(args.postgres)
        try:
            results.append(_run_child(url, args))
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.close()
    for row in results:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
