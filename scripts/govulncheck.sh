#!/usr/bin/env bash
# govulncheck over the whole module with the pinned tool (go.mod's tool
# directive, golang.org/x/vuln v1.9.0). It asks the online Go vulnerability
# database when that answers within 5 s; otherwise it reads the offline
# copy of the database that the pinned golang.org/x/vulndb module carries
# (data/osv: one OSV file per GO-YYYY-NNNN entry, which govulncheck indexes
# itself when -db points at such a directory). Fails on any vulnerability
# whose vulnerable symbols the code reaches. The standard library scanned is
# the toolchain's that runs this script (GOTOOLCHAIN, see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
vulndb_version=v0.0.0-20261105234957-e22db6528018
start=$SECONDS
db=https://vuln.go.dev
if ! command -v curl >/dev/null 2>&1 || ! curl -fsS -m 5 -o /dev/null "$db/index/db.json.gz" 2>/dev/null; then
  dir=$(cd / && go mod download -json "golang.org/x/vulndb@${vulndb_version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
    echo "govulncheck: offline database golang.org/x/vulndb@${vulndb_version} not available" >&2
    exit 1
  fi
  db="file://$dir/data/osv"
  echo "govulncheck: online database unreachable; offline golang.org/x/vulndb@${vulndb_version} ($(ls "$dir/data/osv" | wc -l) entries)"
fi
echo "govulncheck: $(go version), database $db"
status=0
go tool govulncheck -db "$db" ./... || status=$?
echo "govulncheck: $((SECONDS - start))s"
exit $status
