// The cgroup operations the container lifecycle needs, on the real host,
// through the Cgroup class: real processes (sh children of this test, put in
// the cgroup with join()) are frozen and thawed, listed, killed with their
// forked grandchildren, measured; limits are updated and read back from the
// kernel's files; remove() waits for, and gives up on, processes inside.
// Runs on hybrid and v1 hosts and on pure cgroup v2 (detectMode() decides
// where the files differ).
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cgroup, detectMode, hostCgroupLayout, type CgroupLayout, type CgroupStats } from '../../lib/cgroups';
import { StepError } from '../../lib/errors';
import { parseConfig } from '../../lib/spec';
import { TEST_CGROUP_PARENT, existingCgroupDirs } from '../helpers/cgroups';

const MB = 1024 * 1024;
const mode = detectMode();
const skip: string | false =
  process.geteuid?.() !== 0 ? 'needs root (creates cgroups under /sys/fs/cgroup)' : mode === 'none' ? 'the host has no cgroup file system at /sys/fs/cgroup' : false;

// ---------------------------------------------------------------------------
// Helpers

let counter = 0;

/** Every pid any test started: killed when this process exits, whatever happened to the tests' teardowns. */
const everyPid = new Set<number>();
process.on('exit', () => {
  for (const pid of everyPid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

interface Ctx {
  cg: Cgroup;
  cgPath: string;
  procs: Procs;
  /** A file path in a temp dir that goes after the processes are killed. */
  tempFile(name: string): string;
}

/**
 * A created cgroup at TEST_CGROUP_PARENT/<unique>. One teardown (tap runs
 * teardowns last-first, and stops at the first that throws) does it all in
 * order: kill the test's processes, thaw, remove the cgroup, remove temp dirs.
 */
function testCgroup(t: Test, layout: CgroupLayout = hostCgroupLayout()): Ctx {
  const id = `ops-${++counter}`;
  const cgPath = `${TEST_CGROUP_PARENT}/${id}`;
  const spec = parseConfig({ ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { cgroupsPath: cgPath } });
  const cg = Cgroup.forContainer(spec, id, layout);
  cg.create();
  const procs = new Procs(cg);
  const temps: string[] = [];
  t.teardown(async () => {
    const errors: unknown[] = [];
    const step = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    await step(() => procs.killAll());
    await step(async () => {
      if (cg.isFrozen()) await cg.setFrozen(false);
    });
    await step(() => cg.remove());
    for (const dir of temps) await step(() => fs.rmSync(dir, { recursive: true, force: true }));
    if (errors.length) throw errors[0];
  });
  const tempFile = (name: string) => {
    // tmpfs when there is one: the counter rewrites its file without end.
    const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'ociish-cgops-'));
    temps.push(dir);
    return path.join(dir, name);
  };
  return { cg, cgPath, procs, tempFile };
}

/** The processes a test started: killed by pid, and the children reaped, at teardown. */
class Procs {
  private readonly children: ChildProcess[] = [];
  private readonly pids = new Set<number>();
  constructor(private readonly cg: Cgroup) {}

  /**
   * Starts `sh -c script` and puts it in the cgroup before the script runs
   * (it waits for a line on stdin), so that what it forks is born inside.
   * Returns the child and its stdout lines.
   */
  async start(script: string): Promise<{ child: ChildProcess; pid: number; line: () => Promise<string> }> {
    const child = spawn('/bin/sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid;
    if (pid === undefined) throw new Error('spawn failed');
    this.children.push(child);
    this.pids.add(pid);
    everyPid.add(pid);
    exits.set(child, new Promise<void>((resolve) => child.once('exit', () => resolve())));
    this.cg.join(pid);
    child.stdin!.write('go\n');
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const line = async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`sh ${pid} ended its output`);
      return r.value;
    };
    return { child, pid, line };
  }

  /** A pid the test learnt of (a grandchild): killed at teardown as well. */
  track(pid: number): void {
    this.pids.add(pid);
    everyPid.add(pid);
  }

  async killAll(): Promise<void> {
    let inside: number[] = [];
    try {
      inside = this.cg.pids(); // only this test's processes can be in its cgroup
    } catch {
      // the cgroup may be gone already
    }
    for (const pid of new Set([...this.pids, ...inside])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await Promise.all(this.children.map((c) => exitOf(c)));
  }
}

const exits = new WeakMap<ChildProcess, Promise<void>>();

/** Resolves when node has reaped the child. */
function exitOf(child: ChildProcess): Promise<void> {
  return exits.get(child) ?? Promise.resolve();
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The state letter of /proc/PID/stat, or undefined when the process is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * Not running any more: gone (kill(pid, 0) is ESRCH), or a zombie whose
 * parent has not reaped it yet (an orphaned grandchild waits for the host's
 * init, which reaps when it will).
 */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return procState(pid) === 'Z';
}

/** The directory of the cgroup in the hierarchy holding `controller` (v2: the v2 one). */
function dirFor(cg: Cgroup, controller: string): string | undefined {
  return (cg.dirs.find((d) => d.hierarchy.version === 1 && d.hierarchy.controllers.includes(controller)) ??
    cg.dirs.find((d) => d.hierarchy.version === 2 && d.hierarchy.controllers.includes(controller)))?.dir;
}

function readFile(file: string): string {
  return fs.readFileSync(file, 'utf8').trim();
}

/** What the kernel says about freezing: v1 freezer.state where the host has a v1 freezer, else v2 cgroup.events. */
function kernelFrozen(cg: Cgroup): boolean {
  const v1 = dirFor(cg, 'freezer');
  if (v1 && cg.v1.some((d) => d.dir === v1)) return readFile(path.join(v1, 'freezer.state')) === 'FROZEN';
  return /^frozen 1$/m.test(fs.readFileSync(path.join(cg.v2!.dir, 'cgroup.events'), 'utf8'));
}

/** The script of a child that forks a grandchild (printing its pid), then waits for it. */
const WITH_GRANDCHILD = 'sleep 1000 & echo $!; wait';

// ---------------------------------------------------------------------------

t.test('the host', { skip }, async (t) => {
  const layout = hostCgroupLayout();
  t.equal(layout.mode, mode);
  t.ok(layout.hierarchies.length > 0, `hierarchies: ${layout.hierarchies.map((h) => `${h.mountPoint} (v${h.version}: ${h.controllers.join(',')})`).join('; ')}`);
  if (mode === 'unified') t.equal(layout.hierarchies.length, 1, 'one cgroup2 hierarchy');
  if (mode === 'hybrid') t.ok(layout.hierarchies.some((h) => h.version === 2) && layout.hierarchies.some((h) => h.version === 1), 'v1 hierarchies and a cgroup2 one');
});

t.test('create(): a directory in every hierarchy; join() puts a process in each', { skip }, async (t) => {
  const { cg, cgPath, procs } = testCgroup(t);
  t.same(existingCgroupDirs(cgPath).sort(), cg.dirs.map((d) => d.dir).sort(), 'every hierarchy has the directory');
  const { pid } = await procs.start(WITH_GRANDCHILD);
  const own = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  const lines = own.split('\n').filter(Boolean);
  for (const d of cg.dirs) {
    const key = d.hierarchy.controllers.slice().sort().join(',');
    const line = lines.find((l) => (d.hierarchy.version === 2 ? l.startsWith('0::') : l.split(':')[1]!.split(',').sort().join(',') === key));
    t.equal(line?.split(':').slice(2).join(':'), cgPath, `/proc/${pid}/cgroup: ${d.hierarchy.mountPoint}`);
  }
  let err: unknown;
  try {
    cg.create();
  } catch (e) {
    err = e;
  }
  t.type(err, StepError, 'a second create() of a cgroup with a process in it is refused');
  t.equal((err as StepError).code, 'EBUSY');
});

/**
 * The host's layout, and on a hybrid host also its v1 hierarchies alone (as a
 * legacy host): there freezing takes the v1 freezer and killAll() the
 * freeze-signal-thaw path, not cgroup.freeze and cgroup.kill.
 */
function layouts(): [string, CgroupLayout][] {
  if (skip) return [[mode, { mode, root: '/sys/fs/cgroup', hierarchies: [], links: [] }]];
  const host = hostCgroupLayout();
  const out: [string, CgroupLayout][] = [[mode, host]];
  const v1 = host.hierarchies.filter((h) => h.version === 1);
  if (mode === 'hybrid' && v1.some((h) => h.controllers.includes('freezer'))) out.push(['v1 hierarchies only', { ...host, mode: 'legacy', hierarchies: v1 }]);
  return out;
}

for (const [name, layout] of layouts()) {
  t.test(`freeze and thaw: a busy counter stops and resumes (${name})`, { skip }, async (t) => {
    const { cg, procs, tempFile } = testCgroup(t, layout);
    const file = tempFile('count');
    const { pid } = await procs.start(`i=0; while :; do i=$((i+1)); echo $i > ${file}; done`);
    // `echo > FILE` truncates then writes: a read may find it empty, which counts as no value.
    const count = () => {
      try {
        return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
      } catch {
        return 0;
      }
    };
    await waitFor('the counter to start', () => count() > 10);
    const started = count();
    let last = started;
    await waitFor('the counter to advance', () => (last = Math.max(last, count())) > started + 10);

    t.equal(cg.isFrozen(), false, 'not frozen at first');
    await cg.setFrozen(true);
    t.equal(cg.isFrozen(), true, 'isFrozen()');
    t.equal(kernelFrozen(cg), true, 'the kernel says frozen');
    const frozenAt = fs.readFileSync(file, 'utf8');
    await sleep(300);
    t.equal(fs.readFileSync(file, 'utf8'), frozenAt, `the counter stands still while frozen (${JSON.stringify(frozenAt)})`);
    t.not(procState(pid), 'R', `sh is not running (state ${procState(pid)})`);

    await cg.setFrozen(false);
    t.equal(cg.isFrozen(), false, 'thawed');
    t.equal(kernelFrozen(cg), false, 'the kernel says thawed');
    const base = Math.max(last, Number(frozenAt.trim()) || 0);
    let now = 0;
    await waitFor('the counter to resume', () => (now = count()) > base + 10);
    t.pass(`the counter resumed (${base} -> ${now})`);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    t.test(`killAll(${signal}) reaches a forked grandchild (${name})`, { skip }, async (t) => {
      const { cg, procs } = testCgroup(t, layout);
      const { child, pid, line } = await procs.start(WITH_GRANDCHILD);
      const grandchild = Number(await line());
      procs.track(grandchild);
      t.ok(grandchild > 0 && grandchild !== pid, `grandchild ${grandchild}`);
      t.same(cg.pids().sort((a, b) => a - b), [pid, grandchild].sort((a, b) => a - b), 'pids(): the child and the grandchild');

      await cg.killAll(signal);
      await exitOf(child);
      t.equal(child.signalCode, signal, `sh died of ${signal}`);
      t.ok(isDead(pid), 'sh is gone (reaped)');
      await waitFor(`grandchild ${grandchild} to die`, () => isDead(grandchild)).catch(() => {});
      t.ok(isDead(grandchild), `the grandchild is gone (state ${procState(grandchild) ?? 'none'})`);
      await waitFor('the cgroup to empty', () => cg.pids().length === 0).catch(() => {});
      t.same(cg.pids(), [], 'the cgroup is empty');
      t.equal(cg.isFrozen(), false, 'left thawed');
    });
  }
}

t.test('stats(): memory, pids and cpu of the processes inside', { skip }, async (t) => {
  const { cg, procs } = testCgroup(t);
  // Allocates inside the cgroup (charges stay where they were made: the
  // memory sh had before join() is not counted), forks, then burns cpu.
  const { line } = await procs.start(`x=$(head -c 4000000 /dev/zero | tr '\\0' a); sleep 1000 & echo $!; while :; do :; done`);
  procs.track(Number(await line()));
  await sleep(1000);
  const stats: CgroupStats = cg.stats();
  const entry = { usage: Number, limit: Number, max: Number, failcnt: Number };
  t.match(
    stats,
    {
      cpu: { usage: { total: Number, kernel: Number, user: Number }, throttling: { periods: Number, throttled_periods: Number, throttled_time: Number } },
      memory: { cache: Number, usage: entry, raw: Object },
      pids: { current: Number, limit: Number },
    },
    'the shape of CgroupStats',
  );
  t.ok(stats.memory!.usage.usage > 0, `memory usage ${stats.memory!.usage.usage} > 0`);
  t.equal(stats.pids!.current, 2, 'pids.current: sh and sleep');
  // A loaded host may give the loop little of the second; it must have had some.
  t.ok(stats.cpu!.usage.total > 10e6, `cpu usage ${stats.cpu!.usage.total} ns after a busy second (> 10 ms)`);
  t.ok(stats.cpu!.usage.user + stats.cpu!.usage.kernel > 0, 'user + kernel > 0');
  if (stats.blkio) t.match(stats.blkio, { ioServiceBytesRecursive: Array, ioServicedRecursive: Array });
});

t.test('update(): pids limit', { skip }, async (t) => {
  const { cg } = testCgroup(t);
  const dir = dirFor(cg, 'pids');
  if (!dir) return t.plan(0, 'no pids controller on this host');
  cg.update({ pids: { limit: 5 } });
  t.equal(readFile(path.join(dir, 'pids.max')), '5');
  cg.update({ pids: { limit: -1 } });
  t.equal(readFile(path.join(dir, 'pids.max')), 'max');
});

t.test('update(): memory limit and swap, raised and lowered', { skip }, async (t) => {
  const { cg, procs } = testCgroup(t);
  const dir = dirFor(cg, 'memory');
  if (!dir) return t.plan(0, 'no memory controller on this host');
  const v1 = cg.dirs.some((d) => d.dir === dir && d.hierarchy.version === 1);
  const swapFile = v1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max';
  if (!fs.existsSync(path.join(dir, swapFile))) return t.plan(0, `no ${swapFile} (swap accounting is off)`);
  await procs.start('exec sleep 1000');

  const steps: [number, number][] = [
    [64 * MB, 64 * MB],
    [128 * MB, 128 * MB], // v1: memsw must go up first
    [32 * MB, 32 * MB], // v1: the limit must go down first
    [32 * MB, 96 * MB],
    [-1, -1],
  ];
  const read = (f: string) => readFile(path.join(dir, f));
  for (const [limit, swap] of steps) {
    t.doesNotThrow(() => cg.update({ memory: { limit, swap } }), `limit ${limit}, swap ${swap}`);
    if (v1) {
      const unlimited = (v: string) => Number(v) >= 2 ** 62; // -1 reads back as the page-rounded maximum
      if (limit < 0) t.ok(unlimited(read('memory.limit_in_bytes')) && unlimited(read(swapFile)), 'both unlimited');
      else t.same([read('memory.limit_in_bytes'), read(swapFile)], [String(limit), String(swap)], 'memory.limit_in_bytes, memory.memsw.limit_in_bytes');
    } else {
      const want = limit < 0 ? ['max', 'max'] : [String(limit), String(swap - limit)];
      t.same([read('memory.max'), read(swapFile)], want, 'memory.max, memory.swap.max');
    }
  }
});

t.test('remove(): every directory goes once the processes are gone', { skip }, async (t) => {
  const { cg, cgPath, procs } = testCgroup(t);
  const { child, line } = await procs.start(WITH_GRANDCHILD);
  procs.track(Number(await line()));
  await cg.killAll();
  await exitOf(child);
  await cg.remove();
  t.same(existingCgroupDirs(cgPath), [], 'no directory left in any hierarchy');
  await t.resolves(cg.remove(), 'a second remove() has nothing to do');
});

t.test('remove() with a process inside: EBUSY after the timeout, naming the directory', { skip }, async (t) => {
  const { cg, cgPath, procs } = testCgroup(t);
  const { child } = await procs.start('exec sleep 1000');
  const started = Date.now();
  const err = await cg.remove().then(
    () => undefined,
    (e: unknown) => e,
  );
  const waited = Date.now() - started;
  t.type(err, StepError);
  const step = err as StepError;
  t.equal(step.code, 'EBUSY');
  t.equal(step.operation, 'remove cgroup');
  t.ok(cg.dirs.some((d) => d.dir === step.path), `names a directory of the cgroup (${step.path})`);
  t.match(step.message, step.path!);
  t.ok(waited >= 4500 && waited < 15000, `gave up after its timeout (${waited} ms)`);
  t.same(existingCgroupDirs(cgPath).length, cg.dirs.length, 'nothing was removed from under the process');

  // Once the process is gone, it goes.
  await procs.killAll();
  t.equal(child.signalCode, 'SIGKILL');
  await cg.remove();
  t.same(existingCgroupDirs(cgPath), []);
});
