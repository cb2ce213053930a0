#!/bin/bash
# Regenerate every fixture: one generate.py run per environment (see README.md for
# how each venv is made), then RESULTS.md and CENSUS.md. Run by hand from anywhere.
#   VENVS=/work/venvs TOOLS=build/bin scripts/hf-fixtures/make_all.sh [--tokenizers]
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENVS="${VENVS:-/work/venvs}"
TOOLS="${TOOLS:-$REPO/build/bin}"
CENSUS_PY="${CENSUS_PY:-$REPO/.venv/bin/python}"
LOGS="${LOGS:-$(mktemp -d /tmp/hf-fixtures-logs.XXXXXX)}"
cd "$REPO"
if [ "${1:-}" = "--tokenizers" ]; then
  "$VENVS/fx4/bin/python" "$HERE/generate.py" --tokenizers || exit 1
  "$VENVS/fx4/bin/python" "$HERE/generate.py" --weights || exit 1
fi
# Fixture folders are recreated from scratch (the hf/ folders are kept).
find test/Models/hf -mindepth 2 -maxdepth 2 -type d ! -name hf -exec rm -rf {} +
for env in fx4 genai fx440 fx440t fx5; do
  echo "== $env"
  "$VENVS/$env/bin/python" "$HERE/generate.py" --keep-going --log "$LOGS/$env.jsonl" \
    > "$LOGS/$env.log" 2>&1
  grep -E '^[a-z0-9]+/[^ ]+: (ok|FAILED)' "$LOGS/$env.log" | cut -c1-160
done
"$CENSUS_PY" "$HERE/summarize.py" "$LOGS"/*.jsonl > "$HERE/RESULTS.md"
"$CENSUS_PY" "$HERE/census.py" --tools "$TOOLS" --markdown "$HERE/CENSUS.md"
echo "logs in $LOGS"
