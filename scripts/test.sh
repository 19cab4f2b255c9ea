#!/bin/sh
# Runs the whole test suite from a fresh clone: makes .venv, installs riskctl from this
# checkout with its test extras, makes sure a headless Chromium is there for the report's
# browser test, then runs every test (the slow end-to-end ones included).
# Extra arguments go to pytest, e.g. `sh scripts/test.sh -m "not slow"`; the tests run on
# every core (pytest-xdist).
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

# One pytest worker per core (RISKCTL_TEST_WORKERS=0 runs in one process); a file's tests stay
# on one worker so its module fixtures are built once.
exec .venv/bin/pytest -n "${RISKCTL_TEST_WORKERS:-auto}" --dist loadfile "$@"
