#!/usr/bin/env bash
# A first start-latency comparison on one bundle: `ociish run`, `runc run` and
# `crun run` each start a container running /bin/true and wait for it, with
# `node -e 0` as the floor of any Node CLI. Run as root. The full harness
# (API, pre-created containers, JSON and charts) is a later issue.
#
# NODE_EXTRA_CA_CERTS is unset for every command: it adds ~45 ms to each node
# start. Everything runs inside one private mount namespace with
# /sys/fs/cgroup/unified unmounted there, because crun 1.8 refuses hybrid
# cgroup hosts; the host's own mounts are untouched.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-50}
work=$(mktemp -d /tmp/ociish-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
node -e 'require(process.argv[1]).buildExampleBundle(process.argv[2], { args: ["/bin/true"] })' \
  "$here/dist/lib/bundle/example.js" "$work/bundle"

cmds=("node -e 0" "node $here/bin/ociish --root $work/ociish run -b $work/bundle bench-ociish")
names=("node -e 0 (floor)" "ociish run")
if command -v runc >/dev/null; then cmds+=("runc --root $work/runc run -b $work/bundle bench-runc"); names+=("runc run"); fi
if command -v crun >/dev/null; then cmds+=("crun --root $work/crun run -b $work/bundle bench-crun"); names+=("crun run"); fi

# Ids are reused: every run removes its container before the next starts.
args=(-N -w 5 -r "$runs" --export-json "$work/result.json")
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done

env -u NODE_EXTRA_CA_CERTS unshare -m --propagation private sh -c \
  'umount /sys/fs/cgroup/unified 2>/dev/null || true; exec hyperfine "$@"' sh "${args[@]}" >&2

node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  const median = (n) => r.find((x) => x.command === n)?.median * 1000;
  const ociish = median("ociish run");
  console.log("median start+exit latency (ms), /bin/true, NODE_EXTRA_CA_CERTS unset:");
  for (const x of r) console.log(`  ${x.command.padEnd(18)} ${(x.median * 1000).toFixed(1).padStart(7)}   ociish/this = ${(ociish / (x.median * 1000)).toFixed(2)}`);
' "$work/result.json"
