// The compiled-profile cache: one compile per distinct profile in a process,
// one file per profile on disk, and a damaged file is compiled afresh.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedSeccompFilter, compileSeccomp } from '../../lib/seccomp';
import type { LinuxSeccomp } from '../../lib/spec';

const profile = (errnoRet: number): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet }, { names: ['mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
  listenerPath: '/run/agent.sock',
  flags: ['SECCOMP_FILTER_FLAG_LOG'],
});

function tempCache(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-seccomp-cache-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'cache');
}

t.test('the same profile in one process: the same filter object', async (t) => {
  const a = cachedSeccompFilter(profile(3), { host: 'x86_64' });
  t.equal(cachedSeccompFilter(profile(3), { host: 'x86_64' }), a);
  t.not(cachedSeccompFilter(profile(4), { host: 'x86_64' }), a, 'another errno is another profile');
  t.not(cachedSeccompFilter(profile(3), { host: 'aarch64' }), a, 'another host is another program');
  t.same(a, compileSeccomp(profile(3), 'x86_64'), 'what the compiler makes');
});

/** cachedSeccompFilter in a fresh process (an empty memory cache), as the next CLI run would call it. */
function inNextProcess(seccomp: LinuxSeccomp, cacheDir: string): { program: string; flags: number; listener: boolean } {
  const lib = path.resolve(__dirname, '..', '..', 'lib', 'seccomp');
  const script = `const { cachedSeccompFilter } = require(${JSON.stringify(lib)});
const f = cachedSeccompFilter(${JSON.stringify(seccomp)}, { host: 'x86_64', cacheDir: ${JSON.stringify(cacheDir)} });
process.stdout.write(JSON.stringify({ program: f.program.toString('hex'), flags: f.flags, listener: f.listener }));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
}

t.test('on disk: written once, then read by the next process instead of compiling', async (t) => {
  const dir = tempCache();
  const first = cachedSeccompFilter(profile(5), { host: 'x86_64', cacheDir: dir });
  const files = fs.readdirSync(dir);
  t.equal(files.length, 1);
  t.match(files[0], /^[0-9a-f]{64}\.bpf$/);
  t.same(fs.readFileSync(path.join(dir, files[0]!)), first.program);
  t.equal((fs.statSync(dir).mode & 0o777).toString(8), '700');
  t.same(inNextProcess(profile(5), dir), { program: first.program.toString('hex'), flags: 2, listener: true }, 'the same filter');

  // Proof that the next process reads the file: plant another (whole) program.
  const planted = Buffer.alloc(16, 0x06);
  fs.writeFileSync(path.join(dir, files[0]!), planted);
  t.equal(inNextProcess(profile(5), dir).program, planted.toString('hex'));
  t.same(fs.readdirSync(dir), files, 'no second file');
});

t.test('a damaged file is compiled again and replaced; the settings never come from disk', async (t) => {
  const dir = tempCache();
  const expected = cachedSeccompFilter(profile(7), { host: 'x86_64', cacheDir: dir });
  const file = path.join(dir, fs.readdirSync(dir)[0]!);
  fs.writeFileSync(file, Buffer.alloc(13)); // not a whole number of instructions
  t.same(inNextProcess(profile(7), dir), { program: expected.program.toString('hex'), flags: 2, listener: true });
  t.same(fs.readFileSync(file), expected.program, 'replaced');
});

t.test('a cache directory that cannot be made is only skipped', async (t) => {
  const file = path.join(path.dirname(tempCache()), 'not-a-dir');
  fs.writeFileSync(file, '');
  const filter = cachedSeccompFilter(profile(8), { host: 'x86_64', cacheDir: path.join(file, 'sub') });
  t.same(filter.program, compileSeccomp(profile(8), 'x86_64').program);
});
