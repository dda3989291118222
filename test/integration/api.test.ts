// The programmatic API end to end, as a Node program uses it: Runtime and
// Container methods, every stdio mode, events, AbortSignal, asyncDispose,
// typed errors, containers made by the CLI, and what is left afterwards.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ConfigError, ContainerStateError, Runtime, StepError, type Container, type ExitResult } from '../../lib';
import { native } from '../../lib/native';
import { defaultCgroupDirs } from '../helpers/cgroups';
import { makeBundle, ociish, openFds, ourChildren, repoRoot, rootSkip, stateRoot, tempDir, uniqueId, type Config } from '../helpers/container';

const opts = { skip: rootSkip };
const rt = new Runtime({ root: stateRoot });

/** A bundle running `sh -c script`, with the default config changed by `edit`. */
function shBundle(script: string, edit?: (c: Config) => void): Promise<string> {
  return makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    edit?.(c);
  });
}

/** Everything a stream gives until its end. */
function readAll(stream: NodeJS.ReadableStream | null): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    stream!.setEncoding('utf8');
    stream!.on('data', (d: string) => (out += d));
    stream!.on('end', () => resolve(out));
    stream!.on('error', reject);
  });
}

/** What a container leaves on the host after delete: its state dir and cgroup dirs. */
function leftovers(id: string): string[] {
  return [...(fs.existsSync(path.join(stateRoot, id)) ? [path.join(stateRoot, id)] : []), ...defaultCgroupDirs(id)];
}

t.test('run: exit code, signal, output and the container as seen from inside', opts, async (t) => {
  const bundle = await shBundle('echo out; echo err >&2; hostname; grep -c ^NSpid /proc/self/status; read x; echo "in:$x"; exit 3');
  const id = uniqueId('api-run');
  const r = await rt.run(id, { bundle }, { stdio: 'pipe', input: 'typed\n' });
  t.same(r, { exitCode: 3, signal: null, oomKilled: false, stdout: 'out\nociish\n1\nin:typed\n', stderr: 'err\n' }, 'exit 3, stdout, stderr; input reached stdin');
  t.same(leftovers(id), [], 'state and cgroup removed');
  const quiet = await rt.run(uniqueId('api-run'), { bundle }, { stdio: 'ignore' });
  t.same(quiet, { exitCode: 3, signal: null, oomKilled: false, stdout: '', stderr: '' }, 'ignore: no output, stdin empty');

  const piped = await shBundle('echo to-stdout; echo to-stderr >&2; exec sleep 30');
  const id2 = uniqueId('api-pipe');
  const c = await rt.create(id2, { bundle: piped }, { stdio: ['ignore', 'pipe', 'pipe'] });
  const [out, err] = [readAll(c.stdout), readAll(c.stderr)];
  const printed = new Promise((resolve) => c.stderr!.once('data', resolve));
  await c.start();
  await printed;
  await c.kill('SIGKILL');
  t.same(await c.wait(), { exitCode: null, signal: 'SIGKILL', oomKilled: false }, 'killed by SIGKILL: the signal name');
  t.equal(await out, 'to-stdout\n', 'stdout through the pipe');
  t.equal(await err, 'to-stderr\n', 'stderr through its own pipe');
  await c.delete();
  t.same(leftovers(id2), [], 'nothing left after delete');
});

t.test('stdio: given fds, ignore, and stdin from a pipe', opts, async (t) => {
  const dir = tempDir('api-stdio');
  const file = path.join(dir, 'out');
  const fd = fs.openSync(file, 'w');
  try {
    const bundle = await shBundle('echo one; echo two >&2; read x || true; echo "stdin:[$x]"');
    // stdout and stderr into one file, stdin /dev/null.
    const r = await rt.run(uniqueId('api-fd'), { bundle }, { stdio: ['ignore', fd, fd] });
    t.equal(r.exitCode, 0, 'exit 0');
  } finally {
    fs.closeSync(fd);
  }
  t.equal(fs.readFileSync(file, 'utf8'), 'one\ntwo\nstdin:[]\n', 'both streams in the given fd, stdin empty (ignore)');

  const bundle = await shBundle('read line; echo "got:$line"; tr a-z A-Z');
  const c = await rt.create(uniqueId('api-stdin'), { bundle }, { stdio: 'pipe' });
  const out = readAll(c.stdout);
  await c.start();
  c.stdin!.end('hello\nshout\n');
  t.same(await c.wait(), { exitCode: 0, signal: null, oomKilled: false }, 'exit 0');
  t.equal(await out, 'got:hello\nSHOUT\n', 'stdin reached the process, its output came back');
  await c.delete();

  await t.rejects(rt.run(uniqueId('api-bogus'), { bundle }, { stdio: ['pipe', 'bogus' as never, 'pipe'] }), TypeError, 'an unknown stdio mode is a TypeError');
  await t.rejects(rt.run(uniqueId('api-badfd'), { bundle }, { stdio: ['ignore', 99999, 'ignore'] }), /EBADF/, 'a closed fd is refused before anything is made');
});

t.test('create → state → start → wait → delete; the CLI sees the container; events', opts, async (t) => {
  const bundle = await shBundle('read x; exit 5');
  const id = uniqueId('api-life');
  const c = await rt.create(id, { bundle }, { stdio: 'pipe' });
  const events: string[] = [];
  c.on('exit', (r: ExitResult) => events.push(`exit ${r.exitCode}`));
  t.ok(c.owned, 'made by this process');
  t.equal((await c.state()).status, 'created', 'created');
  t.equal(fs.readlinkSync(`/proc/${c.pid}/exe`), fs.realpathSync(process.execPath), 'the init has not exec\'d yet (it still runs our binary)');
  const cli = ociish(['state', id]);
  t.equal(JSON.parse(cli.stdout).status, 'created', 'ociish state: created');
  const start = ociish(['start', id]);
  t.not(start.status, 0, 'ociish start cannot release it');
  t.match(start.stderr, /created through the ociish API by another process/, 'and says why');
  t.same((await rt.list()).filter((s) => s.id === id).map((s) => s.status), ['created'], 'list has it');
  t.equal(await rt.load(id), c, 'load(id) gives the same Container');

  await c.start();
  t.equal((await c.state()).status, 'running', 'running after start');
  t.equal(JSON.parse(ociish(['state', id]).stdout).status, 'running', 'ociish state: running');
  await t.rejects(c.start(), ContainerStateError, 'a second start is refused');
  await t.rejects(c.delete(), /not stopped: running/, 'delete without force refuses a running container');
  c.stdin!.end('\n');
  t.same(await c.wait(), { exitCode: 5, signal: null, oomKilled: false }, 'exit 5');
  t.same(events, ['exit 5'], 'one exit event');
  t.equal((await c.state()).status, 'stopped', 'stopped');
  await c.delete();
  await t.rejects(rt.load(id), ContainerStateError, 'gone after delete');
  t.same(leftovers(id), [], 'nothing left');
});

t.test('kill, pause/resume, update, stats, exec', opts, async (t) => {
  const bundle = await shBundle('trap "exit 7" TERM; while :; do echo x; sleep 0.05; done');
  const id = uniqueId('api-ops');
  const c = await rt.create(id, { bundle }, { stdio: ['ignore', 'pipe', 'ignore'] });
  let ticks = 0;
  c.stdout!.on('data', (d: Buffer) => (ticks += d.length / 2));
  await c.start();

  const ex = await c.exec({ args: ['sh', '-c', 'hostname; id -u; exit 4'], cwd: '/' }, { stdio: 'pipe' });
  const exOut = readAll(ex.stdout);
  t.same(await ex.wait(), { exitCode: 4, signal: null, oomKilled: false }, 'exec: exit 4');
  t.equal(await exOut, 'ociish\n0\n', "exec: in the container's uts namespace, uid 0");
  // Detached (runc exec -d): its exit status is left for whoever reaps it (conmon, as subreaper).
  const detached = await c.exec({ args: ['sh', '-c', 'exit 3'] }, { stdio: 'ignore', detach: true });
  await t.rejects(detached.wait(), TypeError, 'a detached exec has no wait()');
  const stat = () => fs.readFileSync(`/proc/${detached.pid}/stat`, 'utf8').split(') ')[1]![0];
  for (let i = 0; i < 100 && stat() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(stat(), 'Z', 'it ended and nobody here reaped it');
  const pidfd = native.pidfdOpen(detached.pid);
  t.same(native.waitPidfd(pidfd), { pid: detached.pid, exitCode: 3 }, 'its exit status was still there to reap');
  native.closeFd(pidfd);

  const sleeper = await c.exec({ args: ['sleep', '30'], cwd: '/' }, { stdio: 'ignore' });
  sleeper.kill('SIGKILL');
  t.same(await sleeper.wait(), { exitCode: null, signal: 'SIGKILL', oomKilled: false }, 'ExecProcess.kill');

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await c.pause();
  t.equal((await c.state()).status, 'paused', 'paused');
  await sleep(100);
  const frozen = ticks;
  await sleep(400);
  t.equal(ticks, frozen, 'no output while paused');
  await c.resume();
  await sleep(400);
  t.ok(ticks > frozen, 'output again after resume');

  await c.update({ pids: { limit: 42 } });
  const pidsMax = defaultCgroupDirs(id).map((d) => path.join(d, 'pids.max')).find((f) => fs.existsSync(f));
  t.equal(pidsMax && fs.readFileSync(pidsMax, 'utf8').trim(), '42', 'update: pids.max is 42');
  const stats = await c.stats();
  t.ok((stats.pids?.current ?? 0) >= 1, "stats: the container's pids are counted");

  await c.kill('SIGTERM');
  t.same(await c.wait(), { exitCode: 7, signal: null, oomKilled: false }, 'SIGTERM reached the trap: exit 7');
  await c.delete();
  t.same(leftovers(id), [], 'nothing left');
});

t.test('a created container killed or deleted before start', opts, async (t) => {
  const bundle = await shBundle('exit 0');
  const c = await rt.create(uniqueId('api-kill'), { bundle }, { stdio: 'ignore' });
  await c.kill('SIGKILL');
  t.same(await c.wait(), { exitCode: null, signal: 'SIGKILL', oomKilled: false }, 'ended by the signal it was sent');
  t.equal((await c.state()).status, 'stopped', 'stopped');
  await c.delete();
  t.same(leftovers(c.id), [], 'nothing left of the killed one');

  const d = await rt.create(uniqueId('api-del'), { bundle }, { stdio: 'ignore' });
  const pid = d.pid;
  await d.delete();
  t.notOk(fs.existsSync(`/proc/${pid}`), 'delete of a created container ends and reaps its init');
  t.notOk(ourChildren().includes(pid), 'not our child any more');
  t.same(leftovers(d.id), [], 'nothing left of the deleted one');
});

t.test('errors are typed and leave nothing behind', opts, async (t) => {
  const bundle = await makeBundle((c) => (c.process.args = ['/no/such/binary']));
  const id = uniqueId('api-err');
  const e = await rt.create(id, { bundle }).catch((x: unknown) => x);
  t.type(e, StepError, 'a missing entrypoint: StepError');
  t.match((e as StepError).message, /no\/such\/binary/, 'naming the file');
  t.same(leftovers(id), [], 'nothing left');

  const bad = await rt.run(uniqueId('api-bad'), { spec: { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: { args: 'sh', cwd: '/', user: { uid: 0, gid: 0 } } }, bundle }).catch((x: unknown) => x);
  t.type(bad, ConfigError, 'a bad config: ConfigError');
  t.equal((bad as ConfigError).pointer, '/process/args', 'with its JSON pointer');

  const dup = uniqueId('api-dup');
  const ok = await makeBundle((c) => (c.process.args = ['true']));
  const first = await rt.create(dup, { bundle: ok }, { stdio: 'ignore' });
  await t.rejects(rt.create(dup, { bundle: ok }), ContainerStateError, 'a taken id: ContainerStateError');
  await first.delete();
  await t.rejects(rt.load('api-nope'), ContainerStateError, 'an unknown id: ContainerStateError');
  const limited = await makeBundle((c) => (c.linux.resources = { pids: { limit: 5 } }));
  const noCg = uniqueId('api-cg');
  await t.rejects(rt.run(noCg, { bundle: limited }, { cgroup: false }), { name: 'ConfigError', pointer: '/linux/resources' }, 'cgroup: false with linux.resources: ConfigError');
  t.same(leftovers(noCg), [], 'nothing left');
});

t.test("cgroup: false runs in the caller's cgroups", opts, async (t) => {
  const bundle = await shBundle('cat /proc/self/cgroup; exec sleep 30', (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
    delete c.linux.resources; // the default's device rules need a cgroup
  });
  const c = await rt.create(uniqueId('api-nocg'), { bundle }, { stdio: ['ignore', 'pipe', 'inherit'], cgroup: false });
  const ours = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const out = readAll(c.stdout);
  let seen = '';
  const printed = new Promise<void>((resolve) => c.stdout!.on('data', (d: string) => (seen += d) === ours && resolve()));
  await c.start();
  await printed;
  await t.rejects(c.pause(), /no cgroup of its own/, 'pause needs a cgroup');
  await c.kill('SIGKILL');
  t.equal((await c.wait()).signal, 'SIGKILL', 'killed');
  t.equal(await out, ours, 'it was in the same cgroups as this process');
  await c.delete();
});

t.test('AbortSignal and asyncDispose', opts, async (t) => {
  const bundle = await shBundle('sleep 30');
  const id = uniqueId('api-abort');
  const ac = new AbortController();
  const running = rt.run(id, { bundle }, { stdio: 'ignore', signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  const e = await running.catch((x: unknown) => x);
  t.equal((e as Error).name, 'AbortError', 'run rejects with the abort reason');
  t.same(leftovers(id), [], 'the aborted container was removed');

  const id2 = uniqueId('api-dispose');
  const c = await rt.create(id2, { bundle }, { stdio: 'ignore' });
  await c.start();
  const ac2 = new AbortController();
  const waiting = c.wait({ signal: ac2.signal });
  ac2.abort();
  await t.rejects(waiting, { name: 'AbortError' }, 'wait() gives up on abort');
  await c[Symbol.asyncDispose]();
  t.same(leftovers(id2), [], 'asyncDispose deleted the running container');

  const r2 = new Runtime({ root: stateRoot });
  const a = await r2.create(uniqueId('api-rt1'), { bundle }, { stdio: 'ignore' });
  const b = await r2.create(uniqueId('api-rt2'), { bundle }, { stdio: 'ignore' });
  await b.start();
  await r2[Symbol.asyncDispose]();
  t.same([...leftovers(a.id), ...leftovers(b.id)], [], 'Runtime asyncDispose deleted what it created');
});

t.test('load() a container made by the CLI', opts, async (t) => {
  const bundle = await shBundle('exit 0');
  const id = uniqueId('api-cli');
  t.equal(ociish(['create', '--bundle', bundle, id]).status, 0, 'ociish create');
  const c: Container = await rt.load(id);
  t.notOk(c.owned, 'not ours');
  t.equal((await c.state()).status, 'created', 'created');
  await c.start();
  t.same(await c.wait(), { exitCode: null, signal: null, oomKilled: false }, 'wait resolves; the status is not ours to read');
  await c.delete();
  t.same(leftovers(id), [], 'nothing left');
});

t.test('OOM: oomKilled and the oom event', opts, async (t) => {
  const bundle = await shBundle('x=a; while :; do x="$x$x"; done', (c) => (c.linux.resources = { memory: { limit: 16 * 1024 * 1024 } }));
  const c = await rt.create(uniqueId('api-oom'), { bundle }, { stdio: 'ignore' });
  let oom = 0;
  c.on('oom', () => oom++);
  await c.start();
  const r = await c.wait();
  t.same(r, { exitCode: null, signal: 'SIGKILL', oomKilled: true }, 'killed by the OOM killer');
  t.equal(oom, 1, 'one oom event');
  await c.delete();
});

t.test('100 containers at once through one Runtime, then nothing left', opts, async (t) => {
  const bundle = await shBundle('grep -c ^Pid: /proc/self/status');
  const fdsBefore = openFds().length;
  const mountsBefore = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const ids = Array.from({ length: 100 }, () => uniqueId('api-many'));
  const results = await Promise.all(
    ids.map(async (id) => {
      const c = await rt.create(id, { bundle }, { stdio: ['ignore', 'pipe', 'ignore'] });
      const out = readAll(c.stdout);
      await c.start();
      const r = await c.wait();
      await c.delete();
      return { r, out: await out };
    }),
  );
  t.equal(results.filter((x) => x.r.exitCode === 0 && x.out === '1\n').length, 100, 'all 100 exited 0 with their own output');
  t.equal(openFds().length, fdsBefore, 'no fd or pidfd left open');
  t.same(ourChildren(), [], 'no child process left');
  t.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8'), mountsBefore, 'no mount left');
  t.same(ids.flatMap(leftovers), [], 'no state dir or cgroup left');
});

t.test('a pool under load', opts, async (t) => {
  const bundle = await shBundle('exit 0');
  const fdsBefore = openFds().length;
  const pool = rt.pool({ bundle }, { size: 4, stdio: 'ignore', idPrefix: uniqueId('api-pool') });
  await pool.ready();
  t.equal(pool.available, 4, 'four containers wait');
  const waiting = (await rt.list()).filter((s) => s.id.startsWith('api-pool') && s.status === 'created').length;
  t.ok(waiting >= 4, 'they are created containers');
  const taken = await Promise.all(Array.from({ length: 24 }, () => pool.take()));
  t.equal(new Set(taken.map((c) => c.id)).size, 24, '24 distinct containers taken, more than the pool holds');
  const results = await Promise.all(
    taken.map(async (c) => {
      await c.start();
      const r = await c.wait();
      await c.delete();
      return r.exitCode;
    }),
  );
  t.same(results, Array(24).fill(0), 'each started and exited 0');
  await pool.ready();
  await pool.close();
  t.equal(pool.available, 0, 'close deleted the waiting ones');
  await t.rejects(pool.take(), /closed/, 'a closed pool gives nothing');
  t.same((await rt.list()).filter((s) => s.id.startsWith('api-pool')), [], 'no pool container left');
  t.equal(openFds().length, fdsBefore, 'no fd left open');
  t.same(ourChildren(), [], 'no child process left');
});

t.test('ESM: import { Runtime } from the package', opts, async (t) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import { Runtime, StepError } from ${JSON.stringify(path.join(repoRoot, 'dist/lib/index.js'))}; console.log(typeof Runtime, typeof StepError)`], { encoding: 'utf8' });
  t.equal(out.trim(), 'function function', 'named exports work from ESM');
  t.ok(fs.existsSync(path.join(repoRoot, 'dist/lib/index.d.ts')), 'declarations are built');
});

t.test('the README example (npm run example:api) runs', opts, async (t) => {
  const dir = tempDir('api-example');
  const out = execFileSync(process.execPath, [path.join(repoRoot, 'dist/lib/bundle/example-api.js'), path.join(dir, 'bundle')], { encoding: 'utf8' });
  t.match(out, /^run: exit 0, stdout: hello from ociish, pid 1, uid 0$/m, 'run() collected the output');
  t.equal(out.match(/^pre-created .*exit 0$/gm)?.length, 3, 'three pre-created containers started and exited 0');
});
