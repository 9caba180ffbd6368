#!/usr/bin/env bash
# The exploration campaign (packages/sim/scripts/campaign.ts; `npm run campaign -- ARGS` is the same):
# every configuration of fixtures/configs, or those named, explored to exhaustion or to a time budget
# with the known findings, one run at a time; the summary table goes to reports/out/campaign.md.
# Usage: scripts/campaign.sh [CONFIG...] [--budget SECONDS] [--jobs N] [--shard i/n] [--merge]
cd "$(dirname "$0")/.." && exec node_modules/.bin/tsx packages/sim/scripts/campaign.ts "$@"
