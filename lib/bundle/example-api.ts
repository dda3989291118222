// `npm run example:api [DIR]`: the programmatic API on the example bundle:
// one container run with its output collected, then a pool of pre-created
// containers started one after another. Run as root.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Runtime } from '../api';
import { buildExampleBundle } from './example';

async function main(): Promise<void> {
  const bundle = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), 'ociish-example'));
  await buildExampleBundle(bundle);
  const root = path.join(os.tmpdir(), 'ociish-example-state');
  const runtime = new Runtime({ root });

  // create + start + wait + delete in one call; stdout and stderr collected.
  const r = await runtime.run(`api-${process.pid}`, { bundle }, { stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(`run: exit ${r.exitCode}, stdout: ${r.stdout}`);

  // Three containers set up ahead of time; start() is then the release and execve.
  const pool = runtime.pool({ bundle }, { size: 3, stdio: 'inherit' });
  try {
    await pool.ready();
    for (let i = 0; i < 3; i++) {
      const c = await pool.take();
      const t0 = process.hrtime.bigint();
      await c.start();
      const { exitCode } = await c.wait();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(`pre-created ${c.id}: start → exit ${ms.toFixed(2)} ms, exit ${exitCode}\n`);
      await c.delete();
    }
  } finally {
    await pool.close();
    fs.rmdirSync(root); // empty once every container is deleted (one left behind would make this fail)
  }
}

main().catch((e) => {
  process.stderr.write(`example:api: ${(e as Error).message}\n`);
  process.exit(1);
});
