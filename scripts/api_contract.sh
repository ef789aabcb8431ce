#!/usr/bin/env bash
# The API contract against a live server: schemathesis reads /api/v1/openapi.json and sends generated requests,
# anonymously and with a national-admin token. Fails on any 5xx, a response that violates its declared schema,
# an undocumented status code, content type or header.
#
# Runs the documented production settings (DEBUG=false, gunicorn with gunicorn.conf.py) on a throwaway database:
#   DATABASE_URL unset → a temporary SQLite file; DATABASE_URL=postgres://…/NAME → a temporary NAME_contract database.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT=${CONTRACT_PORT:-8766}
EXAMPLES=${CONTRACT_EXAMPLES:-25}
work=$(mktemp -d /tmp/chiiki-contract.XXXXXX)
server_pid=""
pg_db=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pg_db" ]; then
    "$PY" - "$DATABASE_URL" "$pg_db" <<'PYEOF' || true
import sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                     dbname="postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}"')
PYEOF
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  base=${DATABASE_URL%/*}
  pg_db="$(basename "${DATABASE_URL%%\?*}")_contract"
  "$PY" - "$DATABASE_URL" "$pg_db" <<'PYEOF'
import sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                     dbname="postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}"')
    conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PYEOF
  export DATABASE_URL="$base/$pg_db"
else
  export DATABASE_URL="sqlite:///$work/contract.sqlite3"
fi
export DEBUG=false SECRET_KEY=contract-test-only ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false \
  STATIC_ROOT="$work/static" LOG_LEVEL=ERROR

echo "==> API contract on ${DATABASE_URL%%://*}: migrate, reference data, a national-admin token"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py load_reference --no-progress >/dev/null
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py shell -v0 -c "
from chiiki.accounts.models import Role, User
User.objects.create_user('contract-admin', role=Role.NATIONAL_ADMIN)" >/dev/null
token=$("$PY" manage.py create_api_token contract-admin --name contract 2>/dev/null | tail -n 1 | tr -d '[:space:]')

.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" \
  --access-logfile /dev/null --error-logfile "$work/server.log" &
server_pid=$!
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
status=0
run() {
  echo "==> schemathesis ($1)"
  shift
  .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" --checks "$checks" \
    --max-examples "$EXAMPLES" --seed 20261201 --no-color "$@" || status=1
}
run "anonymous"
run "national-admin token" -H "Authorization: Bearer $token"
if grep -q "Traceback" "$work/server.log"; then
  echo "server errors:" && cat "$work/server.log"
fi
exit $status
