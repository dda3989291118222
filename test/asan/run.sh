#!/usr/bin/env bash
# The sanitizer lane (npm run test:asan): builds the addon from the same
# csrc/ with AddressSanitizer + UndefinedBehaviorSanitizer through cmake-js
# (CMakeLists.txt, which reads binding.gyp for what goes in), then runs the
# native tests against that build.
#
#   bash test/asan/run.sh [test files...]     default: dist/test/native/*.test.js
#
# Outputs, all under build-asan/ (gitignored; node-gyp's build/ is never touched):
#   build-asan/build/Release/ociish.node   the sanitized addon
#   build-asan/build/compile_commands.json for clangd/clang-tidy (also linked
#                                          as build-asan/compile_commands.json)
#
# How the tests get the sanitized addon without any change to lib/:
#   lib/native/index.ts loads the addon with node-gyp-build(packageRoot).
#   node-gyp-build (node_modules/node-gyp-build/node-gyp-build.js, load.resolve)
#   reads the package name from packageRoot/package.json ("ociish") and, when
#   the environment has OCIISH_PREBUILD, looks in that directory instead of
#   packageRoot: <dir>/build/Release/*.node, then <dir>/build/Debug, then
#   <dir>/prebuilds/<platform>-<arch>/. cmake-js writes the addon to
#   build-asan/build/Release/, so OCIISH_PREBUILD=<repo>/build-asan makes
#   exactly the test processes started here load the sanitized addon; if that
#   build were missing, node-gyp-build would fail rather than fall back to
#   build/Release. The tests also check which ociish.node is mapped
#   (OCIISH_EXPECT_ADDON), so a silent fallback cannot pass.
#
# The ASan runtime must come first in the process (it replaces malloc and
# friends) and node is not linked against it, so it is preloaded
# (LD_PRELOAD); the UBSan runtime comes in as the addon's own dependency.
# Options (yours in ASAN_OPTIONS / UBSAN_OPTIONS are appended, so they win):
#   detect_leaks=0   Node does not free everything at exit. Leak hunting:
#                    ASAN_OPTIONS=detect_leaks=1 npm run test:asan
#   detect_stack_use_after_return=0   the container child runs under CLONE_VM
#                    on the parent thread's TLS; a fake stack there would be
#                    shared by the parent and the child at once.
#   UBSan: print a stack and stop at the first finding.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="$root/build-asan"
addon="$out/build/Release/ociish.node"

echo "== building the sanitized addon (cmake-js -> $out/build)"
npx --no-install cmake-js build --directory "$root" --out "$out/build" --log-level warn
ln -sfn build/compile_commands.json "$out/compile_commands.json"
deps="$(ldd "$addon")"
libasan="$(awk '$1 ~ /^libasan/ { print $3; exit }' <<<"$deps")"
if [ -z "$libasan" ]; then
  echo "test:asan: $addon is not linked against libasan:" >&2
  echo "$deps" >&2
  exit 1
fi

echo "== compiling TypeScript"
npx --no-install tsc -p tsconfig.json

export OCIISH_PREBUILD="$out"
export OCIISH_EXPECT_ADDON="$addon"
resolved="$(node -p 'require("node-gyp-build").resolve(process.argv[1])' "$root")"
if [ "$resolved" != "$addon" ]; then
  echo "test:asan: node-gyp-build resolves $resolved, not $addon" >&2
  exit 1
fi

if [ "$#" -gt 0 ]; then
  tests=("$@")
else
  tests=(dist/test/native/*.test.js)
fi

echo "== running ${tests[*]} with $libasan"
env \
  LD_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}" \
  ASAN_OPTIONS="detect_leaks=0:detect_stack_use_after_return=0:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
  node "$root/node_modules/tap/dist/esm/run.mjs" "${tests[@]}"
