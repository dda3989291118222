#!/usr/bin/env bash
# After the test suite: no container cgroup may be left in any hierarchy.
# Containers live in /ociish/<id> (the default) or /ociish-test-<pid>/...
# (the tests' own parents); the empty shared /ociish parents are removed.
set -euo pipefail
left=$(find /sys/fs/cgroup -maxdepth 3 -mindepth 1 -type d \( -name 'ociish-test-*' -o -path '*/ociish/*' \) 2>/dev/null || true)
if [ -n "$left" ]; then
  echo "cgroup directories left behind by the tests:" >&2
  echo "$left" >&2
  exit 1
fi
for d in /sys/fs/cgroup/ociish /sys/fs/cgroup/*/ociish; do
  [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
done
echo "no cgroup left behind"
