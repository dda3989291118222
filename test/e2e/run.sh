#!/usr/bin/env bash
# The podman e2e lane (npm run test:e2e): setup.sh, then the tap file
# test/e2e/podman.e2e.ts against the runtime in $OCIISH_E2E_RUNTIME
# (absolute path; default this repo's bin/ociish), which podman calls as
# "ociish". Needs root. For example, against runc:
#
#   OCIISH_E2E_RUNTIME=$(command -v runc) npm run test:e2e
#
# Takes about 25 s (wall) on the 2-core VM with runc once the packages are
# installed (a first run also installs them from Debian, about 1 min more);
# a runtime that fails most calls (timeouts) took about 2 min.
# Leaves the scratch dir ($OCIISH_E2E_DIR, default /var/tmp/ociish-e2e) set
# up for the next run; test/e2e/teardown.sh removes it.
# OCIISH_E2E_TIMEOUT (seconds, default 900) bounds the tap file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
node_modules/.bin/tsc -p tsconfig.json
bash test/e2e/setup.sh
exec node_modules/.bin/tap --disable-coverage --allow-empty-coverage --jobs=1 \
  --timeout="${OCIISH_E2E_TIMEOUT:-900}" dist/test/e2e/podman.e2e.js
