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

# runc and crun get the same config plus an absolute cgroupsPath of our own
# (and an ociVersion crun 1.8 knows):
# without one they would create their cgroup under their own (here the
# machine's management group). ociish makes no cgroup yet.
mkdir "$work/ref"
node -e '
  const fs = require("fs"), [src, dst] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(src + "/config.json", "utf8"));
  c.root.path = src + "/rootfs";
  c.linux.cgroupsPath = "/ociish-bench-ref";
  c.ociVersion = "1.0.2"; // crun 1.8 refuses versions it does not know (1.3.0)
  fs.writeFileSync(dst + "/config.json", JSON.stringify(c, null, 2));
' "$work/bundle" "$work/ref"

cmds=("node -e 0" "node $here/bin/ociish --root $work/ociish run -b $work/bundle bench-ociish")
names=("node -e 0 (floor)" "ociish run")
if command -v runc >/dev/null; then cmds+=("runc --root $work/runc run -b $work/ref bench-runc"); names+=("runc run"); fi
if command -v crun >/dev/null; then cmds+=("crun --root $work/crun run -b $work/ref bench-crun"); names+=("crun run"); fi

# Ids are reused: every run removes its container before the next starts.
args=(-N -w 5 -r "$runs" --export-json "$work/result.json")
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done

# hyperfine, then the in-process API on the same bundle, in one mount namespace.
env -u NODE_EXTRA_CA_CERTS unshare -m --propagation private sh -c '
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  hyperfine "$@" >&2
  node "'"$here"'/dist/bench/api-run.js" "'"$work"'/bundle" "'"$runs"'" > "'"$work"'/api.txt"
' sh "${args[@]}"

node -e '
  const fs = require("fs");
  const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).results.map((x) => [x.command, x.median * 1000]);
  const api = Number(/p50 ([0-9.]+)/.exec(fs.readFileSync(process.argv[2], "utf8"))[1]);
  r.push(["ociish API (in-process)", api]);
  const ociish = r.find(([n]) => n === "ociish run")[1];
  console.log("median start-to-exit latency of a /bin/true container (ms); NODE_EXTRA_CA_CERTS unset");
  console.log("  command                     ms    ociish run / this   API / this");
  for (const [n, ms] of r)
    console.log(`  ${n.padEnd(24)} ${ms.toFixed(1).padStart(6)}   ${(ociish / ms).toFixed(2).padStart(12)}   ${(api / ms).toFixed(2).padStart(10)}`);
' "$work/result.json" "$work/api.txt"
