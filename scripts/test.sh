#!/bin/sh
# Runs the whole test suite from a fresh clone: makes .venv, installs riskctl from this
# checkout with its test extras, makes sure a headless Chromium is there for the report's
# browser test, then runs every test (the slow end-to-end ones included).
# Extra arguments go to pytest, e.g. `sh scripts/test.sh -m "not slow"`; the tests run on
# every core plus one (pytest-xdist).
set -eu
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check '.[test]'

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the browser test (Debian package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "no chromium and no root apt-get: the browser test will be skipped"
  fi
fi

# One pytest worker per core and one more, since many tests wait on a subprocess or a local
# cluster (on 2 cores: 11.6 min instead of 13.0); RISKCTL_TEST_WORKERS=0 runs in one
# process. A file's tests stay on one worker so its module fixtures are built once.
workers="${RISKCTL_TEST_WORKERS:-$(( $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 ))}"
exec .venv/bin/pytest -n "$workers" --dist loadfile "$@"
