// How bin/ociish starts: from the one-script bundle with a per-command V8
// code cache when the bundle is current, from dist/lib's modules otherwise.
// Each case runs a private copy of the package (bin, dist, links to build/ and
// node_modules), so the real dist/cli/cache is left alone.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const version: string = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;

function copyPackage(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-cli-start-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(repoRoot, 'bin'), path.join(dir, 'bin'), { recursive: true });
  fs.cpSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.mkdirSync(path.join(dir, 'dist'));
  // Kept mtimes: the bundle is used only when it is not older than dist/lib.
  for (const sub of ['lib', 'cli']) {
    fs.cpSync(path.join(repoRoot, 'dist', sub), path.join(dir, 'dist', sub), { recursive: true, preserveTimestamps: true, filter: (f) => !f.endsWith('/cache') });
  }
  for (const link of ['build', 'node_modules', 'prebuilds']) {
    if (fs.existsSync(path.join(repoRoot, link))) fs.symlinkSync(path.join(repoRoot, link), path.join(dir, link));
  }
  return dir;
}

function ociish(dir: string, ...args: string[]) {
  // No NODE_OPTIONS: tap's hooks in a child would be loaded by both paths alike.
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'ociish'), ...args], { encoding: 'utf8', env });
}

const cacheOf = (dir: string, name: string) => path.join(dir, 'dist', 'cli', 'cache', `${name}.v8`);

t.test('the build leaves a bundle made from the current dist/lib', async (t) => {
  const file = path.join(repoRoot, 'dist', 'cli', 'ociish.js');
  const bundle = fs.readFileSync(file, 'utf8');
  t.ok(fs.statSync(file).mtimeMs >= fs.statSync(path.join(repoRoot, 'dist', 'lib', 'cli', 'main.js')).mtimeMs, 'written after tsc');
  t.match(bundle, /^\/\/ ociish-cli-bundle [0-9a-f]{32}\n/, 'with the id its caches are tagged with');
  t.match(bundle, /\/\/ dist\/lib\/runtime\/run\.js\n/, 'holds the run command');
});

t.test('a command writes its code cache once, and later runs use it', async (t) => {
  const dir = copyPackage(t);
  const first = ociish(dir, '--version');
  t.equal(first.status, 0, first.stderr);
  t.equal(first.stdout, `ociish version ${version}\nspec: 1.3.0\n`);
  const written = fs.statSync(cacheOf(dir, 'global'));
  t.ok(fs.readFileSync(cacheOf(dir, 'global')).subarray(0, 120).toString('latin1').includes(process.version), 'tagged with the node version');

  const second = ociish(dir, '--version');
  t.equal(second.stdout, first.stdout);
  t.equal(fs.statSync(cacheOf(dir, 'global')).mtimeMs, written.mtimeMs, 'V8 took the cache: it is not rewritten');

  const spec = ociish(dir, 'spec', '--help');
  t.equal(spec.status, 0, spec.stderr);
  t.notOk(fs.existsSync(cacheOf(dir, 'spec')), 'a help page makes no cache');
  const unknown = ociish(dir, 'nosuchcommand');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /unknown command "nosuchcommand"/);
  t.notOk(fs.existsSync(cacheOf(dir, 'nosuchcommand')), 'an unknown command makes no cache');
});

t.test('a cache V8 refuses is replaced; a foreign one is not used', async (t) => {
  const dir = copyPackage(t);
  t.equal(ociish(dir, '--version').status, 0);
  const file = cacheOf(dir, 'global');
  const data = fs.readFileSync(file);
  const tagEnd = data.indexOf(10) + 1;
  // Same tag, payload V8 cannot take.
  fs.writeFileSync(file, Buffer.concat([data.subarray(0, tagEnd), Buffer.alloc(64, 0xaa)]));
  const r = ociish(dir, '--version');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^ociish version /);
  t.ok(fs.readFileSync(file).length > 1000, 'rewritten with real code');

  // Another bundle's cache (a different tag) is ignored, not handed to V8.
  fs.writeFileSync(file, Buffer.concat([Buffer.from('0:0 v0.0.0 none\n'), data.subarray(tagEnd)]));
  t.equal(ociish(dir, '--version').status, 0);
  t.ok(fs.readFileSync(file).subarray(0, tagEnd).equals(data.subarray(0, tagEnd)), 'replaced with this bundle\'s');
});

t.test('a bundle older than dist/lib is not used', async (t) => {
  const dir = copyPackage(t);
  // As if tsc ran again without the bundler: main.js changes, the bundle does not.
  const main = path.join(dir, 'dist', 'lib', 'cli', 'main.js');
  fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace('ociish version ', 'ociish (from dist/lib) version '));
  const r = ociish(dir, '--version');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^ociish \(from dist\/lib\) version /);
  t.notOk(fs.existsSync(cacheOf(dir, 'global')), 'and no cache is written for it');
});

t.test('exit() ends at once with the code, unless something waits for the exit', async (t) => {
  const main = path.join(repoRoot, 'dist', 'lib', 'cli', 'main.js');
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const run = (code: string) => spawnSync(process.execPath, ['-e', `const { exit } = require(${JSON.stringify(main)}); ${code}`], { encoding: 'utf8', env });
  const plain = run(`setInterval(() => {}, 1000); exit(3);`);
  t.equal(plain.status, 3, 'a pending handle does not keep it');
  const listened = run(`process.on('exit', (c) => require('fs').writeSync(1, 'exit ' + c)); exit(4);`);
  t.equal(listened.status, 4);
  t.equal(listened.stdout, 'exit 4', "an 'exit' listener still runs");
});
