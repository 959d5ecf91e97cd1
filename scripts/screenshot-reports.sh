#!/usr/bin/env bash
# Renders the summary comment, the review and the job summary of a clean, a findings and a failed run
# (GitHub-flavoured markdown, GitHub-like CSS) and screenshots each page with headless Chromium, so a
# person can look at what reviewers see. Needs `apt-get install -y chromium`. Output: $1 (default
# ./report-screenshots), not committed.
set -euo pipefail
out="$(realpath -m "${1:-report-screenshots}")"
mkdir -p "$out"
CLAUDE_GUARD_RENDER_DIR="$out" NODE_OPTIONS=--experimental-vm-modules \
  npx jest __tests__/unit/report-rendering.test.ts --silent
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for page in "$out"/*.html; do
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --user-data-dir="$profile" --hide-scrollbars --window-size=870,1400 \
    --screenshot="${page%.html}.png" "file://$page" 2>/dev/null
  echo "${page%.html}.png"
done
