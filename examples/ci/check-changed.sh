#!/bin/sh
# Validate, diff and check every strategy a change touches, against the target branch.
#
#   sh examples/ci/check-changed.sh BASE_REF DATA [STRATEGY_DIR]
#
# BASE_REF: the target branch's commit (e.g. origin/main); DATA: labelled evaluation history.
# Writes Markdown for the pull request to $GITHUB_STEP_SUMMARY when set, JUnit XML per
# strategy to reports/, and exits 1 when a guardrail fails, 2 on bad input.
set -eu
base="$1"
data="$2"
dir="${3:-strategies}"
mkdir -p reports
changed=$(git diff --name-only --diff-filter=AM "$base" -- "$dir" | grep -E '\.ya?ml$' \
          | grep -v reason_codes || true)
if [ -z "$changed" ]; then
  echo "no strategy changed"
  exit 0
fi
catalogue=""
[ -f "$dir/reason_codes.yaml" ] && catalogue="--reasons $dir/reason_codes.yaml"
# shellcheck disable=SC2086
riskctl validate $changed $catalogue --data "$data" --format github
status=0
for file in $changed; do
  name=$(basename "$file" .yaml)
  baseline=""
  if git cat-file -e "$base:$file" 2>/dev/null; then
    riskctl diff "git:$base:$file" "$file" --format markdown \
      | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
    # the baseline sits beside the candidate, so relative detector paths still resolve
    git show "$base:$file" > "$(dirname "$file")/.baseline-$name.yaml"
    baseline="--baseline $(dirname "$file")/.baseline-$name.yaml"
  fi
  # shellcheck disable=SC2086
  riskctl check "$file" $baseline --data "$data" --junit "reports/$name.xml" \
    --markdown "reports/$name.md" || status=$?
  rm -f "$(dirname "$file")/.baseline-$name.yaml"
done
exit "$status"
