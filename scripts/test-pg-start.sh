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
# Each store opens up to 20 connections (12 write, 8 read) and tests run
# two packages at once, some with a sandbox store and child servers beside
# them: the default 100 is too tight.
if [ "$(su postgres -c "psql -qAtc 'show max_connections'")" -lt 300 ]; then
  su postgres -c "psql -qc 'alter system set max_connections = 300'" >/dev/null
  pg_ctlcluster "$ver" main restart
  for i in $(seq 1 30); do
    if su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
    sleep 1
  done
fi
su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname='dibao'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role dibao login password 'dibao'\""
su postgres -c "psql -qAtc \"select 1 from pg_database where datname='dibao_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc 'create database dibao_test owner dibao'"
echo "postgres $ver ready: postgres://dibao:dibao@127.0.0.1:5432/dibao_test"
