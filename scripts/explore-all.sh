#!/usr/bin/env bash
# Explores every configuration in fixtures/configs for a time budget each (SIGINT stops a run
# cleanly with what it covered), and checks v6.3 against v6.4 on each; reports go to reports/.
# Usage: scripts/explore-all.sh [seconds per run] [equiv depth]
set -u
cd "$(dirname "$0")/.."
budget=${1:-600}
edepth=${2:-3}
mkdir -p reports
kvmfp() { npx tsx --conditions=@kvmfp/source packages/sim/src/cli/main.ts "$@"; }
for cfg in fixtures/configs/*.yaml; do
  name=$(basename "$cfg" .yaml)
  for depth in 3 4 5 6 7 8 9 10; do
    start=$(date +%s)
    timeout -s INT "$budget" npx tsx --conditions=@kvmfp/source packages/sim/src/cli/main.ts explore "$cfg" --depth "$depth" --out "reports/counterexamples/$name" --json > "reports/explore-$name-d$depth.json" 2>/dev/null
    used=$(( $(date +%s) - start ))
    node -e "const r=require('./reports/explore-$name-d$depth.json');console.log('$name depth $depth:', r.distinct, 'states', r.violations.length, 'violations', r.complete?'complete':'incomplete', '${used}s')"
    [ "$used" -ge $(( budget / 3 )) ] && break
  done
  timeout "$budget" npx tsx --conditions=@kvmfp/source packages/sim/src/cli/main.ts equiv v6.3 v6.4 "$cfg" --depth "$edepth" > "reports/equiv-$name.txt" 2>&1
  echo "equiv $name: $(head -1 reports/equiv-$name.txt)"
done
