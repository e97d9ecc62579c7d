#!/usr/bin/env bash
# Runs every Go fuzz target of the module, one after the other, for
# FUZZTIME each (default 5s) with one worker: the seeds (f.Add and
# testdata/fuzz/<Name>/) first, then generated inputs. Fails if any target
# fails, naming each; a failing input is written to
# testdata/fuzz/<Name>/ of its package — commit it as a regression seed
# once the bug is fixed. FUZZ_ONLY=Regexp limits the targets by name.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
only="${FUZZ_ONLY:-.}"
start=$SECONDS

# Packages with a fuzz target (only their test binaries need linking);
# `go test -list` then names the targets as the test binary sees them.
mapfile -t pkgs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z0-9_]' . | xargs -n1 dirname | sort -u)
if [ ${#pkgs[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi
targets=()
names=()
while IFS= read -r line; do
  case "$line" in
    Fuzz*) names+=("$line") ;;
    ok*)
      pkg=$(awk '{print $2}' <<<"$line")
      for n in "${names[@]}"; do targets+=("$pkg $n"); done
      names=()
      ;;
  esac
done < <(go test -list '^Fuzz' "${pkgs[@]}")

failed=()
total=0
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  [[ "$name" =~ $only ]] || continue
  total=$((total + 1))
  log=$(mktemp)
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s -parallel 1 "$pkg" >"$log" 2>&1; then
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)
    echo "fuzz: ok   $pkg $name (${execs:-?} execs)"
  else
    echo "fuzz: FAIL $pkg $name"
    tail -n 60 "$log" | sed 's/^/    /'
    failed+=("$pkg $name")
  fi
  rm -f "$log"
done
echo "fuzz: ${total} targets in $((SECONDS - start))s"
echo "fuzz: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
