#!/usr/bin/env bash
# Explores every configuration in fixtures/configs for a time budget each (--time-limit stops a
# run cleanly with what it covered), and checks v6.3 against v6.4 on each; reports go to
# reports/out/ (git-ignored).
# Usage: scripts/explore-all.sh [seconds per run] [equiv depth]
set -u
cd "$(dirname "$0")/.."
budget=${1:-600}
edepth=${2:-3}
out=reports/out
mkdir -p "$out"
kvmfp() { node packages/sim/bin/kvmfp.mjs "$@"; }
for cfg in fixtures/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  for depth in 3 4 5 6 7 8 9 10; do
    start=$(date +%s)
    kvmfp explore "$cfg" --depth "$depth" --time-limit "$budget" --no-progress --out "$out/counterexamples/$name" --json > "$out/explore-$name-d$depth.json"
    used=$(( $(date +%s) - start ))
    node -e "const r=require('./$out/explore-$name-d$depth.json');console.log('$name depth $depth:', r.distinct, 'states', r.violations.length, 'violations', (r.known||[]).length, 'known', r.complete?'complete':'incomplete', '${used}s')"
    [ "$used" -ge $(( budget / 3 )) ] && break
  done
  kvmfp equiv v6.3 v6.4 "$cfg" --depth "$edepth" --time-limit "$budget" --no-progress > "$out/equiv-$name.txt" 2>&1
  echo "equiv $name: $(head -1 $out/equiv-$name.txt)"
done
