// `npm run example [DIR]`: assembles the example bundle from what this host
// has (no download) and runs it with `ociish run`, as a user would.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildExampleBundle } from './example';

async function main(): Promise<number> {
  const dir = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), 'ociish-example'));
  const { source } = await buildExampleBundle(dir);
  const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'ociish');
  const id = `example-${process.pid}`;
  process.stderr.write(`bundle: ${dir} (rootfs from ${source})\n$ ociish run --bundle ${dir} ${id}\n`);
  const r = spawnSync(process.execPath, [bin, 'run', '--bundle', dir, id], { stdio: 'inherit' });
  return r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`example: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
