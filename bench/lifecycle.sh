#!/usr/bin/env bash
# The create/start/delete split, as podman and containerd drive a runtime,
# for ociish, runc and crun on the same busybox bundle (/bin/true), in one
# run (hyperfine, interleaved by command), plus the memory a created but not
# started container holds (the RSS of its waiting init). Run as root:
#   bash bench/lifecycle.sh            (RUNS=30 by default)
#
# NODE_EXTRA_CA_CERTS is unset for every command: it adds ~45 ms to each node
# start. Everything runs inside one private mount namespace with
# /sys/fs/cgroup/unified unmounted there, because crun 1.8 refuses hybrid
# cgroup hosts; the host's own mounts are untouched. The full harness (API,
# pre-created containers, JSON and charts) is issue 6.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-30}
work=$(mktemp -d /tmp/ociish-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }

node -e 'require(process.argv[1]).buildExampleBundle(process.argv[2], { args: ["/bin/true"] })' \
  "$here/dist/lib/bundle/example.js" "$work/bundle"
# Every runtime gets the same config with an absolute cgroupsPath of our own
# (not under the caller's cgroup: here that is the machine's management group)
# and an ociVersion crun 1.8 knows.
node -e '
  const fs = require("fs"), [dir] = process.argv.slice(1);
  const c = JSON.parse(fs.readFileSync(dir + "/config.json", "utf8"));
  c.root.path = dir + "/rootfs";
  c.linux.cgroupsPath = "/ociish-bench-lifecycle";
  c.ociVersion = "1.0.2";
  fs.writeFileSync(dir + "/config.json", JSON.stringify(c, null, 2));
' "$work/bundle"

runtimes=("ociish:node $here/bin/ociish --root $work/ociish")
command -v runc >/dev/null && runtimes+=("runc:runc --root $work/runc")
command -v crun >/dev/null && runtimes+=("crun:crun --root $work/crun")

# Through a shell (hyperfine subtracts its start-up): the prepare steps are command lists.
args=(-w 3 -r "$runs" --export-json "$work/result.json")
for rt in "${runtimes[@]}"; do
  name=${rt%%:*} cmd=${rt#*:} id="bench-$name"
  args+=(-n "$name create" --prepare "$cmd delete --force $id || true" "$cmd create -b $work/bundle $id")
  args+=(-n "$name start" --prepare "$cmd delete --force $id || true; $cmd create -b $work/bundle $id" "$cmd start $id")
  args+=(-n "$name delete" --prepare "$cmd delete --force $id || true; $cmd create -b $work/bundle $id" "$cmd delete --force $id")
done

env -u NODE_EXTRA_CA_CERTS unshare -m --propagation private sh -c '
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  hyperfine "$@" >&2
  # The memory a created container holds: the RSS of its waiting init.
  for rt in '"$(printf '%q ' "${runtimes[@]}")"'; do
    name=${rt%%:*} cmd=${rt#*:} id="mem-$name"
    $cmd create -b '"$work"'/bundle $id >/dev/null 2>&1 || { echo "rss $name create-failed"; continue; }
    pid=$($cmd state $id | node -e "let s=\"\";process.stdin.on(\"data\",d=>s+=d).on(\"end\",()=>console.log(JSON.parse(s).pid))")
    echo "rss $name $(awk "/^VmRSS/ {print \$2}" /proc/$pid/status)"
    $cmd delete --force $id >/dev/null 2>&1
  done > '"$work"'/rss.txt
  for rt in '"$(printf '%q ' "${runtimes[@]}")"'; do cmd=${rt#*:}; $cmd delete --force "bench-${rt%%:*}" >/dev/null 2>&1 || true; done
  for h in /sys/fs/cgroup/*/ociish-bench-lifecycle; do rmdir "$h" 2>/dev/null || true; done
' sh "${args[@]}"

node -e '
  const fs = require("fs");
  const med = Object.fromEntries(JSON.parse(fs.readFileSync(process.argv[1], "utf8")).results.map((x) => [x.command, x.median * 1000]));
  const rss = Object.fromEntries(fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => l.split(" ").slice(1)));
  const names = [...new Set(Object.keys(med).map((k) => k.split(" ")[0]))];
  console.log("median latency (ms) of each command on a /bin/true busybox bundle; NODE_EXTRA_CA_CERTS unset");
  console.log("  runtime     create    start   delete    total   created init RSS (kB)");
  for (const n of names) {
    const [c, s, d] = ["create", "start", "delete"].map((v) => med[`${n} ${v}`]);
    console.log(`  ${n.padEnd(8)} ${c.toFixed(1).padStart(8)} ${s.toFixed(1).padStart(8)} ${d.toFixed(1).padStart(8)} ${(c + s + d).toFixed(1).padStart(8)}   ${String(rss[n] ?? "-").padStart(10)}`);
  }
  const total = (n) => ["create", "start", "delete"].reduce((a, v) => a + med[`${n} ${v}`], 0);
  for (const n of names.filter((x) => x !== "ociish")) console.log(`  ociish / ${n}: ${(total("ociish") / total(n)).toFixed(2)} (create+start+delete)`);
' "$work/result.json" "$work/rss.txt"
