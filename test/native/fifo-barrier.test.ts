// The fifo start barrier and the own-memory spawn behind it (create/start):
// a child cloned without CLONE_VM drops the runtime's memory, reports
// WAITING, lets go of the runtime and waits for one byte on a fifo; it
// outlives the runtime process once there, and dies with it before.
import t from 'tap';
import { execFileSync, spawn as spawnProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants, native } from '../../lib/native';
import { buildPlan, encodePlan, type Plan, type Step } from '../../lib/plan';
import { spawnContainer } from '../../lib/runtime/child';
import { loadBundleConfig } from '../../lib/spec';
import { makeBundle, openFds, pidNamespaceHolder, rootSkip, tempDir } from '../helpers/container';
import { syncMessages } from '../helpers/sync-messages';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const MSG = constants.messages;
const distLib = path.resolve(__dirname, '../../lib');
/** The ASan build (test/asan/run.sh) keeps the whole copy: its shadow memory lives there. */
const sanitized = fs.readFileSync('/proc/self/maps', 'utf8').includes('libasan');
const memorySkip = sanitized ? 'the sanitized addon keeps the runtime\'s memory (ASan shadow)' : false;

function fifoIn(dir: string): string {
  const fifo = path.join(dir, 'exec.fifo');
  execFileSync('mkfifo', ['-m', '0600', fifo]);
  return fifo;
}

/** Starts what waits on the fifo; throws ENXIO if nothing holds it open (the child is gone). */
function release(fifo: string): void {
  const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    fs.writeSync(fd, '1');
  } finally {
    fs.closeSync(fd);
  }
}

function handMade(steps: Step[]): Plan {
  return { steps, cloneFlags: 0, idMaps: null, warnings: [] };
}

const barrier = (fifo: string): Step[] => [{ kind: 'OPEN_BARRIER', path: fifo, origin: '' }, { kind: 'BARRIER', origin: '' }];
const shell = (script: string): Step => ({ kind: 'EXEC', args: ['/bin/sh', '-c', script], env: ['PATH=/usr/bin:/bin'], pathDirs: null, preservedFds: 0, origin: '/process/args' });

/**
 * Mappings shaped like a spawn arena: a one-page PROT_NONE guard right below
 * an anonymous read-write mapping of at least two 256 KiB stacks (which may
 * have merged with an anonymous neighbour above). Threads' stacks look alike,
 * so only a difference between two counts says something.
 */
function arenaMappings(): number {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').trim().split('\n').map((l) => {
    const [range, perms, , , inode, name] = l.split(/\s+/);
    const [start, end] = range!.split('-').map((h) => parseInt(h, 16));
    return { start: start!, end: end!, perms: perms!, anon: inode === '0' && !name };
  });
  let n = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    const guard = maps[i]!;
    const rest = maps[i + 1]!;
    const size = rest.end - rest.start;
    if (guard.anon && guard.perms === '---p' && guard.end - guard.start === 4096 && rest.anon && rest.perms === 'rw-p' && rest.start === guard.end && size >= 512 * 1024) n++;
  }
  return n;
}

function statusField(pid: number, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1]?.trim() ?? '';
}

const kib = (field: string): number => Number(field.replace(/ kB$/, ''));

/** Whether the process (not necessarily ours) ends within ms: its pidfd turns readable. */
async function endsWithin(pid: number, ms: number): Promise<boolean> {
  const pidfd = native.pidfdOpen(pid);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const wait = native.waitReadable(pidfd).then(() => true, () => false);
  const ended = await Promise.race([wait, timeout]);
  clearTimeout(timer);
  native.closeFd(pidfd); // cancels a pending wait
  return ended;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

const sorted = (list: string[]): string[] => [...list].sort();

/** A node script run without tap's NODE_OPTIONS hook, its stdio in files (the pipes would outlive it). */
function nodeScript(dir: string, body: string): string {
  const file = path.join(dir, 'script.js');
  fs.writeFileSync(file, `const lib = ${JSON.stringify(distLib)};\n${body}\n`);
  return file;
}

function runNode(script: string, out: string): ReturnType<typeof spawnSync> {
  const fd = fs.openSync(out, 'w');
  try {
    return spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, script], { stdio: ['ignore', fd, fd], timeout: 30_000 });
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------

t.test('own memory at a fifo barrier: a few pages, then one byte starts it', { skip: rootSkip }, async (t) => {
  const dir = tempDir('fifo');
  const fifo = fifoIn(dir);
  const marker = path.join(dir, 'marker');
  const fdsBefore = openFds();
  const arenasBefore = arenaMappings();
  const container = await spawnContainer(handMade([...barrier(fifo), shell(`echo started > ${marker}`)]));
  t.equal(container.waiting, true, 'waiting at the barrier');
  t.equal(arenaMappings(), arenasBefore, 'our copy of the arena is gone already');
  t.same(sorted(openFds()), sorted([...fdsBefore, `${container.pidfd} -> anon_inode:[pidfd]`]), 'only the pidfd is new here');

  await t.test('what it keeps of our memory', { skip: memorySkip }, async (t) => {
    const maps = fs.readFileSync(`/proc/${container.pid}/maps`, 'utf8').trim().split('\n');
    t.comment(maps.join('\n'));
    t.ok(maps.length <= 12, `${maps.length} mappings`);
    t.notOk(maps.some((l) => /\[(heap|stack|vdso)\]/.test(l) || l.endsWith(process.execPath) || /libc\.so/.test(l)), 'no heap, stack, vdso, node or libc');
    t.ok(maps.some((l) => l.endsWith('ociish.node')), 'the addon stays');
    const rss = kib(statusField(container.pid, 'VmRSS'));
    const ours = kib(statusField(process.pid, 'VmRSS'));
    t.ok(rss < 4096 && rss * 20 < ours, `VmRSS ${rss} kB (ours: ${ours} kB)`);
  });
  t.equal(statusField(container.pid, 'SigBlk'), '0000000000000000', 'no signal blocked while it waits');
  t.notOk(fs.existsSync(marker), 'not started');

  // Lazy exit tracking: nothing watches the pidfd yet (a second wait would be EBUSY).
  const ours2 = native.waitReadable(container.pidfd);
  release(fifo);
  await ours2;
  t.same(await container.exited, { pid: container.pid, exitCode: 0 }, 'exec\'d and exited 0');
  t.equal(fs.readFileSync(marker, 'utf8'), 'started\n');
  t.same(sorted(openFds()), sorted(fdsBefore), 'the pidfd is closed once the exit is read');
});

t.test('the same under CLONE_VM keeps our arena until released (the check above can fail)', { skip: rootSkip }, async (t) => {
  const before = arenaMappings();
  const child = native.spawn(encodePlan([{ kind: 'BARRIER', origin: '' }, shell('exit 0')]), 0, -1);
  t.equal(arenaMappings(), before + 1, 'the arena is mapped here');
  await native.waitReadable(child.syncFd);
  t.match(native.recvSyncMsg(child.syncFd), { kind: MSG.READY });
  native.sendSyncMsg(child.syncFd, MSG.GO, 0, 0);
  await native.waitReadable(child.pidfd);
  t.match(native.waitPidfd(child.pidfd), { exitCode: 0 });
  native.releaseArena(child.arena);
  t.equal(arenaMappings(), before, 'and gone once released');
  native.closeFd(child.syncFd);
  native.closeFd(child.pidfd);
});

t.test('the sync socket: WAITING, then EOF; after the barrier nothing is reported', { skip: rootSkip }, async (t) => {
  const dir = tempDir('fifo');
  for (const [name, exec, want] of [
    ['exec', shell('exit 7'), { exitCode: 7 }],
    ['a failed exec (its error goes nowhere)', { ...shell(''), args: ['/nonexistent-dir-xyz/sh'] }, { exitCode: 1 }],
  ] as [string, Step, object][]) {
    const fifo = path.join(dir, `${name.length}.fifo`);
    execFileSync('mkfifo', [fifo]);
    const child = native.spawn(encodePlan([...barrier(fifo), exec]), 0, -1, 3, true);
    native.releaseArena(child.arena); // harmless: released at the clone already
    const messages = await syncMessages(child.syncFd);
    t.same(messages, [{ kind: MSG.WAITING, step: 1, value: 0 }], `${name}: WAITING only`);
    t.equal(native.waitPidfd(child.pidfd), null, `${name}: still there`);
    release(fifo);
    await native.waitReadable(child.pidfd);
    t.match(native.waitPidfd(child.pidfd), want, `${name}: exit status`);
    native.closeFd(child.syncFd);
    native.closeFd(child.pidfd);
  }
});

t.test('OPEN_BARRIER: a missing path or a file that is not a fifo fails the step', { skip: rootSkip }, async (t) => {
  const dir = tempDir('fifo');
  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, '');
  await t.rejects(spawnContainer(handMade([...barrier(path.join(dir, 'missing')), shell('exit 0')])), {
    name: 'StepError', operation: 'open the start fifo', code: 'ENOENT', path: path.join(dir, 'missing'),
  });
  await t.rejects(spawnContainer(handMade([...barrier(file), shell('exit 0')])), { name: 'StepError', operation: 'open the start fifo', code: 'EINVAL' });
});

t.test('a whole container waits at the fifo (barrierFifo), then runs', { skip: rootSkip }, async (t) => {
  const tmp = tempDir('fifo-tmp');
  const fifo = fifoIn(tempDir('state'));
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', 'echo "$(hostname) $$" > /tmp/out'];
    c.mounts.push({ destination: '/tmp', type: 'bind', source: tmp, options: ['rbind', 'rw'] });
  });
  const plan = buildPlan(loadBundleConfig(bundle), { bundle, barrierFifo: fifo });
  t.equal(plan.steps[0]!.kind, 'OPEN_BARRIER', 'the first step');
  const container = await spawnContainer(plan);
  t.equal(container.waiting, true);
  if (!sanitized) {
    const rss = kib(statusField(container.pid, 'VmRSS'));
    t.ok(rss < 4096, `VmRSS ${rss} kB after the whole setup`);
  }
  t.not(fs.readlinkSync(`/proc/${container.pid}/ns/mnt`), fs.readlinkSync('/proc/self/ns/mnt'), 'in its own mount namespace');
  t.notOk(fs.existsSync(path.join(tmp, 'out')), 'not started');
  release(fifo);
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
  t.match(fs.readFileSync(path.join(tmp, 'out'), 'utf8'), /^\S+ 1\n$/, 'pid 1 of its own pid namespace');
});

t.test('the init of a FORK_INIT plan waits at the fifo too', { skip: rootSkip }, async (t) => {
  const sleeper = await pidNamespaceHolder(t);
  if (!t.ok(sleeper, 'a sleep in a pid namespace of its own')) return;
  const tmp = tempDir('fifo-tmp');
  const fifo = fifoIn(tempDir('state'));
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', 'echo $$ > /tmp/out'];
    c.mounts.push({ destination: '/tmp', type: 'bind', source: tmp, options: ['rbind', 'rw'] });
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${sleeper}/ns/pid` } : n));
  });
  const plan = buildPlan(loadBundleConfig(bundle), { bundle, barrierFifo: fifo });
  t.ok(plan.steps.some((s) => s.kind === 'FORK_INIT'), 'the plan clones an init');
  const container = await spawnContainer(plan);
  t.equal(container.waiting, true);
  t.equal(fs.readlinkSync(`/proc/${container.pid}/ns/pid`), fs.readlinkSync(`/proc/${sleeper}/ns/pid`), 'the init is in the joined pid namespace');
  release(fifo);
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
  t.match(fs.readFileSync(path.join(tmp, 'out'), 'utf8'), /^\d+\n$/);
});

t.test('a waiting container outlives the process that created it', { skip: rootSkip }, async (t) => {
  const dir = tempDir('fifo');
  fs.chmodSync(dir, 0o755);
  const fifo = fifoIn(dir);
  const marker = path.join(dir, 'marker');
  const steps = [...barrier(fifo), shell(`echo started > ${marker}`)];
  const script = nodeScript(dir, [
    "const { spawnContainer } = require(lib + '/runtime/child');",
    `const plan = { steps: ${JSON.stringify(steps)}, cloneFlags: 0, idMaps: null, warnings: [] };`,
    'spawnContainer(plan).then((c) => { console.log(JSON.stringify({ pid: c.pid, waiting: c.waiting })); process.exit(0); });',
  ].join('\n'));
  const out = path.join(dir, 'out');
  const r = runNode(script, out);
  t.equal(r.status, 0, `the creating process exited 0 (${fs.readFileSync(out, 'utf8').trim()})`);
  const { pid, waiting } = JSON.parse(fs.readFileSync(out, 'utf8')) as { pid: number; waiting: boolean };
  t.equal(waiting, true);
  t.teardown(() => killQuietly(pid));
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  t.not(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), r.pid, 'reparented');
  t.notOk(fs.existsSync(marker), 'not started');
  release(fifo);
  t.ok(await endsWithin(pid, 10_000), 'ran to its end once started'); // reaped by whoever adopted it
  t.equal(fs.readFileSync(marker, 'utf8'), 'started\n');
});

t.test('before the barrier it dies with the runtime (PDEATHSIG), also a FORK_INIT init', { skip: rootSkip }, async (t) => {
  // The runtime's end of the sync socket is held open by a sleep, so EOF
  // cannot end the child: only the death signal can.
  const nsPid = await pidNamespaceHolder(t);
  if (!t.ok(nsPid, 'a pid namespace to join')) return;
  const variants: [string, Step[]][] = [
    ['the child', []],
    ['the FORK_INIT init', [{ kind: 'SETNS', nstype: constants.clone.CLONE_NEWPID, path: `/proc/${nsPid}/ns/pid`, origin: '' }, { kind: 'FORK_INIT', origin: '' }]],
  ];
  for (const [name, before] of variants) {
    const dir = tempDir('fifo');
    const fifo = fifoIn(dir);
    const pids = path.join(dir, 'pids');
    const steps: Step[] = [barrier(fifo)[0]!, ...before, { kind: 'SYNC_HOOKS', origin: '' }, barrier(fifo)[1]!, shell('exit 0')];
    const script = nodeScript(dir, [
      "const { native, constants } = require(lib + '/native');",
      "const { encodePlan } = require(lib + '/plan/encode');",
      "const { spawn } = require('node:child_process');",
      "const fs = require('node:fs');",
      `const child = native.spawn(encodePlan(${JSON.stringify(steps)}), 0, -1, 3, true);`,
      'let initPid = 0;',
      'let hooks = false;',
      // The init's HOOKS may come before its parent's PID message (two writers on one socket).
      `const forkInit = ${JSON.stringify(before.some((s) => s.kind === 'FORK_INIT'))};`,
      '(async () => {',
      '  for (;;) {',
      '    await native.waitReadable(child.syncFd);',
      '    const m = native.recvSyncMsg(child.syncFd);',
      '    if (m === null) process.exit(3);',
      '    if (m && m.kind === constants.messages.PID) initPid = m.value;',
      '    if (m && m.kind === constants.messages.HOOKS) hooks = true;',
      '    if (!hooks || (forkInit && !initPid)) continue;',
      "    const sleep = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', child.syncFd], detached: true });",
      `    fs.writeFileSync(${JSON.stringify(pids)}, JSON.stringify({ sleep: sleep.pid, blocked: initPid || child.pid }));`,
      '    setInterval(() => {}, 1000);',
      '    return;',
      '  }',
      '})();',
    ].join('\n'));
    const out = fs.openSync(path.join(dir, 'out'), 'w');
    const node = spawnProcess('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, script], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    let info: { sleep: number; blocked: number } | null = null;
    for (let i = 0; i < 500 && !info; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (fs.existsSync(pids) && fs.statSync(pids).size) info = JSON.parse(fs.readFileSync(pids, 'utf8'));
    }
    if (!t.ok(info, `${name}: blocked in the hooks handshake (${fs.readFileSync(path.join(dir, 'out'), 'utf8').trim()})`)) {
      node.kill('SIGKILL');
      continue;
    }
    const { sleep, blocked } = info!;
    t.teardown(() => (killQuietly(sleep), killQuietly(blocked)));
    if (before.length) t.equal(fs.readlinkSync(`/proc/${blocked}/ns/pid`), fs.readlinkSync(`/proc/${nsPid}/ns/pid`), `${name}: in the joined pid namespace`);
    t.notOk(await endsWithin(blocked, 300), `${name}: stays blocked while the runtime lives`);
    const pidfd = native.pidfdOpen(blocked);
    node.kill('SIGKILL');
    const ended = native.waitReadable(pidfd).then(() => true);
    t.ok(await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), 5000))]), `${name}: gone once the runtime is killed`);
    native.closeFd(pidfd);
  }
});
