#!/bin/sh
# Nightly drift check: compare yesterday's orders with a reference period, write the
# Markdown message and the HTML report, post the message to a chat webhook, and exit 1 when
# a `monitoring:` limit in the strategy is crossed (so the scheduler marks the run failed and
# pages whoever is on call).
#
#   sh examples/monitoring/nightly.sh REFERENCE CURRENT STRATEGY DETECTOR [OUT_DIR]
#
# RISKCTL_WEBHOOK: a Slack-compatible incoming-webhook URL ({"text": ...}); unset, the
# message is printed instead. RISKCTL_MONITOR_BY: the column to attribute changes to
# (default: category).
set -u
reference=$1
current=$2
strategy=$3
detector=$4
out=${5:-monitor}
mkdir -p "$out"

riskctl monitor --reference "$reference" --current "$current" \
    --strategy "$strategy" --detector "$detector" --by "${RISKCTL_MONITOR_BY:-category}" \
    --markdown "$out/monitor.md" --report "$out/monitor.html" --json > "$out/monitor.json"
status=$?
if [ "$status" -ge 2 ]; then
    echo "riskctl monitor could not run (exit $status)" >&2
    exit "$status"
fi

if [ -n "${RISKCTL_WEBHOOK:-}" ]; then
    python3 -c 'import json, sys; print(json.dumps({"text": open(sys.argv[1]).read()}))' \
        "$out/monitor.md" |
        curl --fail --silent --show-error -H 'Content-Type: application/json' \
            --data @- "$RISKCTL_WEBHOOK" || echo "posting to the webhook failed" >&2
else
    cat "$out/monitor.md"
fi
exit "$status"
