#!/usr/bin/env bash
# Start the machine's PostgreSQL cluster and make the test role and database
# (idempotent). Used by .ci/run and by developers before `scripts/test.sh`.
set -euo pipefail
ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$ver" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for i in $(seq 1 30); do
  if su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname='dibao'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role dibao login password 'dibao'\""
su postgres -c "psql -qAtc \"select 1 from pg_database where datname='dibao_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc 'create database dibao_test owner dibao'"
echo "postgres $ver ready: postgres://dibao:dibao@127.0.0.1:5432/dibao_test"
