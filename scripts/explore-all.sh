#!/usr/bin/env bash
# Kept for the old usage `scripts/explore-all.sh [seconds per configuration]`: the campaign
# (scripts/campaign.sh, npm run campaign) on every configuration with that budget.
cd "$(dirname "$0")/.." && exec scripts/campaign.sh --budget "${1:-600}"
