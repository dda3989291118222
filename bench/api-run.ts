// In-process start latency: runContainer() on one bundle, N times in a row,
// in one Node process (no runtime binary spawned, no Node start per
// container). Usage: node dist/bench/api-run.js BUNDLE [N]
import * as path from 'node:path';
import { runContainer } from '../lib/runtime/run';
import { loadBundleConfig } from '../lib/spec';

async function main(): Promise<void> {
  const bundle = path.resolve(process.argv[2] ?? '.');
  const n = Number(process.argv[3] ?? 200);
  const spec = loadBundleConfig(bundle);
  const root = path.join(bundle, '.api-bench-state');
  const times: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const start = process.hrtime.bigint();
    const status = await runContainer({ id: `api-${i}`, bundle, spec, root });
    if (!('exitCode' in status) || status.exitCode !== 0) throw new Error(`run ${i}: ${JSON.stringify(status)}`);
    if (i >= 10) times.push(Number(process.hrtime.bigint() - start) / 1e6); // 10 warm-up runs
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
  process.stdout.write(`runContainer (in-process), ${n} runs: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, min ${q(0)} ms\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
