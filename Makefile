# Chiiki — developer entry points. Quick start: `make run` (serve the site) and `make test` (whole suite).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp
NODE_STAMP := frontend/node_modules/.package-lock.json
VENDOR := static/vendor
NPM := frontend/node_modules
SHARED_BOUNDARIES := ../shared/data/boundaries
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help venv run test assets browser-deps lint bench contract

help:
	@echo "make run    — .venv, 依存関係, フロントエンド資材, migrate, 参照データ・境界・デモデータを読み込み http://$(HOST):$(PORT)/ で起動"
	@echo "make test   — テスト一式（ブラウザテストを含む）。DATABASE_URL を設定すると PostgreSQL で実行"
	@echo "make assets — npm ci と static/vendor/ へのコピー"
	@echo "make lint   — ruff check chiiki bench"
	@echo "make contract — API 契約テスト（schemathesis、匿名と事務局トークン）"
	@echo "make bench  — ベンチマーク（bench/README.md）"

# ---- Python environment ----------------------------------------------------------------------------------------

# The first Python >= 3.11 found (pyenv shims exist for versions that are not installed, so ask each one).
$(PY):
	@python=""; \
	for candidate in python3.13 python3.12 python3.11 python3; do \
	  if command -v $$candidate >/dev/null 2>&1 && \
	     $$candidate -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; then \
	    python=$$candidate; break; \
	  fi; \
	done; \
	if [ -z "$$python" ]; then \
	  echo "エラー: Python 3.11 以上が見つかりません（python3.13 / python3.12 / python3.11 / python3 を探しました）。" >&2; \
	  exit 1; \
	fi; \
	echo "==> $$($$python --version) で $(VENV) を作成します"; \
	$$python -m venv $(VENV)

# Re-install only when pyproject.toml changed since the last install.
$(INSTALLED): pyproject.toml | $(PY)
	@echo "==> pip install -e \".[dev]\""
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

venv: $(INSTALLED)

# ---- Front-end assets (npm → static/vendor, no bundler, no CDN) --------------------------------------------------

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "エラー: npm が見つかりません。Node.js と npm を導入してください（Debian: apt-get install nodejs npm）。" >&2; \
	  exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# source-in-node_modules:destination-in-static/vendor (these paths are a contract; see README).
# Source maps come along: the scripts reference them and collectstatic's manifest storage insists they exist.
VENDOR_FILES := \
	htmx.org/dist/htmx.min.js:htmx/htmx.min.js \
	leaflet/dist/leaflet.js:leaflet/leaflet.js \
	leaflet/dist/leaflet.js.map:leaflet/leaflet.js.map \
	leaflet/dist/leaflet.css:leaflet/leaflet.css \
	leaflet/dist/images/layers.png:leaflet/images/layers.png \
	leaflet/dist/images/layers-2x.png:leaflet/images/layers-2x.png \
	leaflet/dist/images/marker-icon.png:leaflet/images/marker-icon.png \
	leaflet/dist/images/marker-icon-2x.png:leaflet/images/marker-icon-2x.png \
	leaflet/dist/images/marker-shadow.png:leaflet/images/marker-shadow.png \
	topojson-client/dist/topojson-client.min.js:topojson-client/topojson-client.min.js \
	chart.js/dist/chart.umd.min.js:chartjs/chart.umd.min.js \
	chart.js/dist/chart.umd.min.js.map:chartjs/chart.umd.min.js.map \
	@digital-go-jp/design-tokens/dist/tokens.css:design-tokens/tokens.css

assets: $(NODE_STAMP)
	@for pair in $(VENDOR_FILES); do \
	  src="$(NPM)/$${pair%%:*}"; dst="$(VENDOR)/$${pair#*:}"; \
	  [ -f "$$src" ] || { echo "エラー: $$src がありません（npm パッケージの構成が変わった？）" >&2; exit 1; }; \
	  cmp -s "$$src" "$$dst" 2>/dev/null || install -D -m 644 "$$src" "$$dst"; \
	done

# ---- Serve ------------------------------------------------------------------------------------------------------

run: $(INSTALLED) assets
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference
	@if [ -d "$(SHARED_BOUNDARIES)" ]; then \
	  $(PY) manage.py load_boundaries "$(SHARED_BOUNDARIES)" || \
	    echo "警告: $(SHARED_BOUNDARIES) から境界データを読み込めませんでした。地図は役所の位置（点）で表示します。" >&2; \
	else \
	  $(PY) manage.py load_boundaries --download || \
	    echo "警告: 境界データをダウンロードできませんでした。地図は役所の位置（点）で表示します。" >&2; \
	fi
	@mkdir -p var
	@# The logins are printed once (and kept in var/demo-logins.txt), with the URL this server really uses.
	$(PY) manage.py load_demo --site-url "http://$(HOST):$(PORT)" | tee var/demo-logins.txt
	@echo "================================================================================"
	@echo " Chiiki: http://$(HOST):$(PORT)/   （停止は Ctrl+C）"
	@echo "================================================================================"
	@$(PY) manage.py runserver $(HOST):$(PORT)

# ---- Tests ------------------------------------------------------------------------------------------------------

# Browser tests are never skipped: install Chromium and the CJK fonts when we can, else stop and say why.
browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v fc-list >/dev/null 2>&1 || missing="$$missing fontconfig"; \
	{ command -v fc-list >/dev/null 2>&1 && fc-list : family | grep -i "Noto Sans CJK" >/dev/null; } || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p | grep -q "libpangoft2-1.0.so.0" || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> apt-get install$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	    fc-cache -f >/dev/null 2>&1 || true; \
	  else \
	    echo "エラー: ブラウザテストに必要なパッケージがありません:$$missing" >&2; \
	    echo "  root で apt-get install -y$$missing を実行してから make test をやり直してください。" >&2; \
	    echo "  （ブラウザテストは省略しません: /usr/bin/chromium と Noto Sans CJK フォントが必要です）" >&2; \
	    exit 1; \
	  fi; \
	fi

test: $(INSTALLED) assets browser-deps
	@echo "==> pytest（DB: $${DATABASE_URL:-SQLite 既定}）"
	@status=0; DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "エラー: テストが1件も収集されませんでした（pytest exit 5）" >&2; exit 1; fi; \
	exit $$status

# The API contract (schemathesis against a live gunicorn with the production settings, anonymous and with a
# national-admin token). DATABASE_URL=postgres://… runs it on a temporary PostgreSQL database.
contract: $(INSTALLED)
	scripts/api_contract.sh

# ---- Quality and benchmarks ---------------------------------------------------------------------------------------

lint: $(INSTALLED)
	$(VENV)/bin/ruff check chiiki $(wildcard bench)

# Every benchmark; each writes its figures into bench/README.md. The targets below belong to their owners.
bench: bench-progress bench-programs bench-programs-engines bench-load bench-goals bench-funding bench-pdca \
	bench-promotion bench-talent

# 進捗（D）: 20,000行の取込、全国の概要ページ・集計APIのHTTP計測、初回表示、14万行の取込のメモリ（コマンド・画面・API）。SQLite と PostgreSQL
# （BENCH_DATABASE_URL、既定は 127.0.0.1:55432 の chiiki_bench）。結果は bench/README.md に書き込む。
.PHONY: bench-progress
bench-progress: $(INSTALLED) assets
	$(PY) bench/progress_import.py
	$(PY) bench/progress_http.py
	$(PY) bench/progress_cold.py
	$(PY) bench/import_memory.py

# 支援メニュー（E）: 判定付きクエリの nDCG@5 / MRR と、1万件に拡張したカタログでの検索APIの p50/p95。
# SQLite と PostgreSQL（PROGRAMS_BENCH_PG_URL のサーバーに使い捨てDBを作って削除）。結果は bench/README.md に書き込む。
.PHONY: bench-programs
bench-programs: $(INSTALLED)
	$(PY) bench/programs_bench.py

# 支援メニュー（E）: 判定付きクエリの上位5件を、アプリ内 BM25F と各DBの順位関数（FTS5 bm25・ts_rank_cd）で比較。
.PHONY: bench-programs-engines
bench-programs-engines: $(INSTALLED)
	$(PY) bench/programs_rank_engines.py

# 負荷試験: 公開ページ・公開API（wrk）と進捗の書き込みAPI（毎秒5件、一部は古い版で 409）を同時に60秒、README の本番設定
# （gunicorn.conf.py のまま、DEBUG=false、ほかは既定値）で SQLite と PostgreSQL（BENCH_DATABASE_URL の DB名 + _load を
# 作り直す）。LOAD_ARGS="--duration 10" で短く確認。結果は bench/README.md に書き込む。
LOAD_ARGS ?=
.PHONY: bench-goals
# 速さの目標（issue 10）: 匿名・ログイン・キャッシュにないURLの各ページを同じ大きさの静的ファイルと比べ、書き込みが続くときの
# 概要ページ、1,000件のURLの後のワーカーのメモリも。SQLite と PostgreSQL、各ワーカーのメモリと Redis（redis-server があれば）。
bench-goals: $(INSTALLED) assets
	$(PY) bench/goals_http.py
	$(PY) bench/worker_memory.py

.PHONY: bench-load
bench-load: $(INSTALLED) assets
	$(PY) bench/load.py $(LOAD_ARGS)

# 人材（issue 12）: 1万人 × できること80項目で、候補の照合（依頼のページと候補API）の p50/p95 を、必須のできることだけで
# 絞る素のSQLと同じ実行で比べる。SQLite と PostgreSQL（BENCH_DATABASE_URL の DB名 + _talent を作り直す）。
# TALENT_ARGS="--profiles 1000 --requests 10" で短く確認。結果は bench/README.md に書き込む。
TALENT_ARGS ?=
.PHONY: bench-talent
bench-talent: $(INSTALLED)
	$(PY) bench/talent_matching.py $(TALENT_ARGS)

# オープンデータ（issue 15）: CKAN package_search（2万件、q + fq 2条件 + facet）p95 ≤ 50 ms と支援メニュー検索（1万件）の比較、
# 自治体標準オープンデータセットの検証（10万行 ≤ 10 秒）。SQLite と PostgreSQL（BENCH_DATABASE_URL + _opendata）。
# 小さく確認: OPENDATA_BENCH_ARGS="--datasets 2000 --programs 1000 --requests 60 --rows 10000 --no-write"
OPENDATA_BENCH_ARGS ?=
.PHONY: bench-opendata
bench: bench-opendata
bench-opendata: $(INSTALLED)
	$(PY) bench/opendata_bench.py $(OPENDATA_BENCH_ARGS)

# 資金循環（issue 11）: 2万計画 × 3–5年度 × 財源2–4件で、お金の流れのAPI・ページのウォーム/書き込み直後の p95 を同じプロセスの
# 素のSQL集計と比較、全計画のリスク判定の時間。SQLite と PostgreSQL（BENCH_DATABASE_URL の DB名 + _funding を作り直す）。
# FUNDING_BENCH_ARGS="--plans 2000" で小さく確認。結果は bench/README.md の「資金循環」に書き込む。
FUNDING_BENCH_ARGS ?=
.PHONY: bench-funding
bench-funding: $(INSTALLED) assets
	$(PY) bench/funding_bench.py $(FUNDING_BENCH_ARGS)

# PDCA（issue 14）: 14万件の進捗でKPIの全値（10年度）を1要求で計算（ウォーム・書き込み直後、素の集計SQLと比較、≤ 3×）と、
# 議会向けPDF報告50団体の生成時間。SQLite と PostgreSQL（BENCH_DATABASE_URL の DB名 + _pdca）。PDCA_BENCH_ARGS="--municipalities 174
# --reports 5" で小さく確認。結果は bench/README.md に書き込む。
PDCA_BENCH_ARGS ?=
.PHONY: bench-pdca
bench-pdca: $(INSTALLED) assets
	$(PY) bench/pdca_bench.py $(PDCA_BENCH_ARGS)

# 推進体制（issue 13、promotion）: パッケージ提案（1団体）と波及効果（全地域）のAPIの p95（ウォーム・コールド）を、10年度 × 1,741 × 8 の
# 進捗の記録に対する素のSQL集計と同じ実行で比較（目標 ≤ 3×）。SQLite と PostgreSQL（BENCH_DATABASE_URL の DB名 + _promotion）。
# 小さく確認: PROMOTION_BENCH_ARGS="--years 1 --regions 10 --repeat 10 --no-write"。
PROMOTION_BENCH_ARGS ?=
.PHONY: bench-promotion
bench-promotion: $(INSTALLED)
	$(PY) bench/promotion_bench.py $(PROMOTION_BENCH_ARGS)
