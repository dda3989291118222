// The real-caller lane: podman 4.3.1 with conmon 2.1.6 driving an OCI runtime
// binary named `ociish`. test/e2e/setup.sh makes $OCIISH_E2E_DIR/bin/ociish a
// symlink to the runtime under test ($OCIISH_E2E_RUNTIME, default this repo's
// bin/ociish) and registers it in a private containers.conf; this file checks
// that link points where the environment says before anything else.
//
// Each subtest is one thing a podman user does, asserted on what that user
// sees (output, exit codes, podman's states), plus a few host-side facts the
// runtime is responsible for (cgroup files, uid of the container's process).
// The last subtest removes everything and asserts nothing is left: conmon and
// other helper processes, mounts under the scratch dir, /run/netns entries,
// cgroups under libpod_parent and runtime state created by this run.
//
// Run it with `npm run test:e2e` (test/e2e/run.sh). The file name does not
// match tap's `dist/test/**/*.test.js` include on purpose: plain `npm test`
// does not run this lane.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { DEFAULT_ROOT } from '../../lib/runtime/state';
import { hostMountsMentioning, repoRoot } from '../helpers/container';

const DIR = process.env.OCIISH_E2E_DIR ?? '/var/tmp/ociish-e2e';
const RUNTIME = process.env.OCIISH_E2E_RUNTIME ?? path.join(repoRoot, 'bin', 'ociish');
const RUNTIME_LINK = path.join(DIR, 'bin', 'ociish');
const CONF = path.join(DIR, 'containers.conf');
/** podman's cwd: conmon writes an `oom` marker file into it (CLI-CONTRACT 5.8). */
const CWD = path.join(DIR, 'cwd');
const IMAGE = 'localhost/busybox:latest';
const PODMAN = '/usr/bin/podman';
const GLOBAL = [
  '--root', `${DIR}/root`, '--runroot', `${DIR}/run`, '--tmpdir', `${DIR}/tmp`, '--storage-driver', 'overlay',
  '--cgroup-manager=cgroupfs', '--events-backend=file',
];
/** podman's whole environment (env -i): nothing of tap's (NODE_OPTIONS) or the caller's leaks in. */
const ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', `CONTAINERS_CONF=${CONF}`,
  'TERM=xterm', 'SHELL=/bin/sh',
];
const CATATONIT = '/usr/libexec/podman/catatonit';
/** Runtime state roots whose new entries the leftover check looks for (podman passes no --root: the defaults). */
const RUNTIME_STATE_DIRS = ['/run/runc', DEFAULT_ROOT];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let nameCounter = 0;
/** A container/pod name unique to this run; every name the suite uses starts with e2e-. */
const uname = (what: string) => `e2e-${what}-${process.pid}-${++nameCounter}`;

// ---------------------------------------------------------------------------
// podman, as a user runs it

interface Res {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs podman with the private flags and env from the scratch cwd; SIGKILLed after `timeout` ms. */
function podman(args: string[], opts: { input?: string; timeout?: number } = {}): Res {
  const start = Date.now();
  const r = spawnSync('/usr/bin/env', ['-i', ...ENV, PODMAN, ...GLOBAL, ...args], {
    cwd: CWD,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeout ?? 60_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - start };
}

const show = (r: Res) => `exit ${r.status ?? r.signal}; stderr: ${r.stderr.trim().slice(0, 600) || '-'}`;

/** Asserts podman exited with `code` (default 0), naming the command and its stderr otherwise. */
function exits(t: Test, r: Res, what: string, code = 0): boolean {
  return t.equal(r.status, code, `${what} exits ${code} (${show(r)})`);
}

function inspect(name: string, format: string): string {
  return podman(['inspect', '--format', format, name]).stdout.trim();
}

/** `podman run -d`; returns the full container id ('' if it failed, which is asserted). */
function runDetached(t: Test, args: string[]): string {
  const r = podman(['run', '-d', ...args]);
  exits(t, r, `run -d ${args.join(' ').slice(0, 80)}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

/** Removes containers by name or id, retrying once on podman's --uidmap shm race (CLI-CONTRACT 5.9). */
function rmForce(...names: string[]): Res {
  let r = podman(['rm', '-f', '-t', '0', ...names]);
  if (r.status !== 0 && /device or resource busy/.test(r.stderr)) r = podman(['rm', '-f', '-t', '0', ...names]);
  return r;
}

/** Polls `check` every `step` ms until it is true or `ms` have passed; returns its last answer. */
async function until(check: () => boolean, ms = 10_000, step = 100): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(step);
  }
}

/** podman in a pseudo-terminal (util-linux script): `input` is typed once the output shows a /dev/pts path. */
function inPty(args: string[], input: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  const cmd = [PODMAN, ...GLOBAL, ...args].map(shq).join(' ');
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/env', ['-i', ...ENV, '/usr/bin/script', '-qfec', cmd, '/dev/null'], {
      cwd: CWD,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let typed = false;
    child.stdin.on('error', () => {}); // script may be gone before we write
    const onData = (d: string) => {
      out += d;
      if (!typed && /\/dev\/pts\/\d+/.test(out)) {
        typed = true;
        child.stdin.write(input);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? (signal ? -1 : null), out });
    });
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Interface names in a /proc/net/dev listing. */
const interfaces = (procNetDev: string) =>
  procNetDev.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean).sort();

/** A host directory for bind mounts, under the scratch dir (removed by the teardown). */
function hostDir(what: string): string {
  const dir = path.join(DIR, `vol-${process.pid}`, what);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------
// What this run leaves behind

/** Pids of this process and its ancestors (tap, run.sh, npm): never leftovers. */
function selfAndAncestors(): Set<number> {
  const pids = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

/**
 * Processes that belong to the suite's podman: their command line names the
 * scratch dir (conmon, `podman container cleanup`) or they inherited our
 * CONTAINERS_CONF (slirp4netns, rootlessport). Zombies have neither. (The
 * helpers' processesMentioning reads command lines only.)
 */
function suiteProcesses(): { pid: number; cmd: string }[] {
  const skip = selfAndAncestors();
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || skip.has(Number(entry))) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      let mine = cmd.includes(DIR);
      if (!mine) mine = fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`CONTAINERS_CONF=${CONF}`);
      if (mine) out.push({ pid: Number(entry), cmd: cmd.replace(/\0/g, ' ').trim().slice(0, 200) });
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

const listDir = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

/** Every cgroup dir below libpod_parent, in every v1 hierarchy (and the unified one), deepest first. */
function libpodCgroups(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      walk(path.join(dir, e.name));
      out.push(path.join(dir, e.name));
    }
  };
  for (const h of listDir('/sys/fs/cgroup')) {
    const parent = path.join('/sys/fs/cgroup', h, 'libpod_parent');
    try {
      if (fs.statSync(parent).isDirectory()) walk(parent);
    } catch {
      // no libpod_parent in this hierarchy
    }
  }
  return out;
}

interface Snapshot {
  netns: Set<string>;
  cgroups: Set<string>;
  state: Set<string>;
}
const snapshot = (): Snapshot => ({
  netns: new Set(listDir('/run/netns')),
  cgroups: new Set(libpodCgroups()),
  // ociish's @cache (compiled seccomp programs, kept on purpose between runs) is no container's state.
  state: new Set(RUNTIME_STATE_DIRS.flatMap((d) => listDir(d).filter((e) => e !== '@cache').map((e) => path.join(d, e)))),
});

/**
 * A pod's own cgroup in the name=systemd and unified hierarchies. podman 4.3.1
 * (cgroupfs) creates and removes a pod's cgroup only in the v1 controllers it
 * manages; the runtime makes libpod_parent/<pod> in the other two as the parent
 * of a member's cgroup (runc does), and `pod rm` leaves those behind, empty.
 */
const isPodParentPodmanLeaves = (c: string) => /^\/sys\/fs\/cgroup\/(systemd|unified)\/libpod_parent\/[0-9a-f]{64}$/.test(c);

/** What is there now and was not before the suite, except podman's own persistent libpod_parent/conmon cgroup. */
function leftovers(before: Snapshot) {
  const now = snapshot();
  const cgroups = [...now.cgroups].filter((c) => !before.cgroups.has(c) && !/\/libpod_parent\/conmon$/.test(c));
  return {
    processes: suiteProcesses(),
    mounts: hostMountsMentioning([DIR]),
    netns: [...now.netns].filter((n) => !before.netns.has(n)),
    cgroups: cgroups.filter((c) => !isPodParentPodmanLeaves(c)),
    state: [...now.state].filter((s) => !before.state.has(s)),
    podParents: cgroups.filter(isPodParentPodmanLeaves),
  };
}

/** Force-removes whatever the suite left (by pid and by path), whatever the subtests did. */
function forceCleanup(before: Snapshot): void {
  podman(['rm', '-af', '-t', '0']);
  podman(['pod', 'rm', '-af', '-t', '0']);
  for (const { pid } of suiteProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const left = leftovers(before);
  left.cgroups.push(...left.podParents);
  for (const line of left.mounts.reverse()) {
    const target = line.split(' ')[4]!;
    spawnSync('umount', ['-l', target]);
  }
  for (const n of left.netns) {
    spawnSync('umount', ['-l', path.join('/run/netns', n)]);
    fs.rmSync(path.join('/run/netns', n), { force: true });
  }
  for (const cg of left.cgroups) {
    try {
      for (const pid of fs.readFileSync(path.join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {
      // gone
    }
  }
  for (const cg of left.cgroups) {
    for (let tries = 0; tries < 20 && fs.existsSync(cg); tries++) {
      try {
        fs.rmdirSync(cg);
      } catch {
        sleepSync(100); // EBUSY until the killed tasks are gone
      }
    }
  }
  fs.rmSync(path.join(DIR, `vol-${process.pid}`), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Setup checks

function setupProblem(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root (rootful podman)';
  if (!fs.existsSync(PODMAN)) return `no ${PODMAN}: run test/e2e/setup.sh`;
  if (!fs.existsSync(CONF) || !fs.existsSync(RUNTIME_LINK)) return `no ${CONF} or ${RUNTIME_LINK}: run test/e2e/setup.sh`;
  if (!fs.existsSync(RUNTIME)) return `OCIISH_E2E_RUNTIME=${RUNTIME} does not exist`;
  let target: string;
  try {
    target = fs.realpathSync(RUNTIME_LINK);
  } catch (e) {
    return `${RUNTIME_LINK} is dangling (${(e as Error).message}): rerun test/e2e/setup.sh`;
  }
  if (target !== fs.realpathSync(RUNTIME)) {
    return `${RUNTIME_LINK} -> ${target}, not OCIISH_E2E_RUNTIME=${RUNTIME}: rerun test/e2e/setup.sh with the same OCIISH_E2E_RUNTIME`;
  }
  return false;
}

const problem = setupProblem();
const before = snapshot();
const opts = (timeout = 120_000) => ({ timeout, skip: problem ? `setup: ${problem}` : false });

t.teardown(() => {
  if (!problem) forceCleanup(before);
});

t.test('environment: podman runs the runtime under test as "ociish"', { timeout: 60_000 }, async (t) => {
  if (problem) {
    t.fail(problem);
    return;
  }
  const info = podman(['info', '--format', '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}|{{.Host.Conmon.Version}}']);
  exits(t, info, 'podman info');
  const [name, rtPath, conmon] = info.stdout.trim().split('|');
  t.equal(name, 'ociish', 'default runtime is the one named ociish');
  t.equal(rtPath, RUNTIME_LINK, 'at the scratch dir link');
  t.comment(`runtime: ${RUNTIME_LINK} -> ${fs.realpathSync(RUNTIME_LINK)}; conmon: ${conmon?.split(',')[0]}`);
  const img = podman(['image', 'exists', IMAGE]);
  exits(t, img, `image ${IMAGE} exists`);
});

t.test('run --rm: output and exit codes', opts(), async (t) => {
  const name = uname('rm');
  const ok = podman(['run', '--rm', '--name', name, IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  t.equal(ok.status, 3, `exit 3 propagates (${show(ok)})`);
  t.equal(ok.stdout, 'out\n', 'stdout');
  t.equal(ok.stderr, 'err\n', 'stderr, and nothing else on it');
  t.equal(podman(['container', 'exists', name]).status, 1, '--rm removed it');
  const hello = podman(['run', '--rm', IMAGE, 'echo', 'hello world']);
  exits(t, hello, 'run echo');
  t.equal(hello.stdout, 'hello world\n', 'its output');
  t.equal(podman(['run', '--rm', IMAGE, 'false']).status, 1, 'false -> 1');
  const missing = podman(['run', '--rm', IMAGE, '/nonexistent']);
  t.equal(missing.status, 127, `missing binary -> 127 (${show(missing)})`);
  t.match(missing.stderr, /not found|no such file or directory/i, 'podman says it was not found');
});

t.test('run -d, ps, logs, stop, start, rm', opts(), async (t) => {
  const name = uname('detached');
  const id = runDetached(t, ['--name', name, IMAGE, 'sh', '-c',
    'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done']);
  t.match(id, /^[0-9a-f]{64}$/, 'run -d prints the container id');
  const ps = podman(['ps', '--filter', `name=^${name}$`, '--format', '{{.ID}} {{.Names}} {{.Status}}']);
  t.match(ps.stdout.trim(), new RegExp(`^${id.slice(0, 12)} ${name} Up`), 'ps lists it as Up');
  // The basename arrangement: conmon runs $DIR/bin/ociish with podman's JSON log flags.
  const conmonPid = inspect(name, '{{.State.ConmonPid}}');
  const conmonArgs = fs.readFileSync(`/proc/${conmonPid}/cmdline`, 'latin1').split('\0');
  t.equal(conmonArgs[conmonArgs.indexOf('-r') + 1], RUNTIME_LINK, 'conmon runs the runtime as .../bin/ociish');
  t.ok(conmonArgs.includes('--log-format=json'), 'podman passes --log-format=json (ociish is in runtime_supports_json)');
  t.ok(await until(() => podman(['logs', name]).stdout.includes('started')), 'logs show the output');
  const stop = podman(['stop', '-t', '10', name]);
  exits(t, stop, 'stop');
  t.equal(inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0', 'stopped by its TERM trap: exited 0');
  t.match(podman(['logs', name]).stdout, /got-term/, 'the container saw SIGTERM');
  t.match(podman(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']).stdout, /^Exited \(0\)/, 'ps -a: Exited (0)');
  exits(t, podman(['start', name]), 'start');
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'running again');
  t.ok(await until(() => podman(['logs', name]).stdout.split('started').length === 3), 'logs: started twice');
  exits(t, podman(['stop', '-t', '10', name]), 'stop again');
  const rm = podman(['rm', name]);
  exits(t, rm, 'rm');
  t.equal(podman(['container', 'exists', name]).status, 1, 'gone after rm');
});

t.test('stop -t 1 of a container that ignores TERM: killed, exit 137', opts(), async (t) => {
  const name = uname('ignoreterm');
  runDetached(t, ['--name', name, IMAGE, 'sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
  t.ok(await until(() => podman(['logs', name]).stdout.includes('ready')), 'ready');
  const stop = podman(['stop', '-t', '1', name]);
  exits(t, stop, 'stop -t 1');
  t.ok(stop.ms >= 900, `stop waited for the timeout (${stop.ms} ms)`);
  t.ok(stop.ms < 8000, `and then killed it promptly (${stop.ms} ms)`);
  t.equal(inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137', 'exit code 137 (SIGKILL)');
  const wait = podman(['wait', name]);
  t.equal(wait.stdout.trim(), '137', 'podman wait says 137');
  exits(t, podman(['rm', name]), 'rm');
});

t.test('kill -s USR1 reaches a trap in the container', opts(), async (t) => {
  const name = uname('usr1');
  runDetached(t, ['--name', name, IMAGE, 'sh', '-c',
    'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done']);
  t.ok(await until(() => podman(['logs', name]).stdout.includes('ready')), 'ready');
  exits(t, podman(['kill', '-s', 'USR1', name]), 'kill -s USR1');
  t.ok(await until(() => podman(['logs', name]).stdout.includes('got-usr1')), 'the trap ran');
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'still running');
  exits(t, podman(['kill', name]), 'kill (default SIGKILL)');
  t.ok(await until(() => inspect(name, '{{.State.Status}}') === 'exited'), 'exited after kill');
  t.equal(inspect(name, '{{.State.ExitCode}}'), '137', 'exit code 137');
  exits(t, podman(['rm', name]), 'rm');
});

t.test('exec: user, workdir, env, exit codes, detach, missing binary', opts(), async (t) => {
  const name = uname('exec');
  runDetached(t, ['--name', name, IMAGE, 'sleep', '1000']);
  const root = podman(['exec', name, 'id']);
  exits(t, root, 'exec id');
  t.match(root.stdout, /^uid=0\(root\) gid=0\(root\)/, 'root by default');
  t.match(podman(['exec', '-u', '1000:1000', name, 'id']).stdout, /^uid=1000 gid=1000/, '-u 1000:1000');
  t.equal(podman(['exec', '-u', '65534', name, 'id', '-u']).stdout, '65534\n', '-u 65534');
  t.equal(podman(['exec', name, 'pwd']).stdout, '/\n', 'cwd / by default');
  t.equal(podman(['exec', '-w', '/tmp', name, 'pwd']).stdout, '/tmp\n', '-w /tmp');
  t.equal(podman(['exec', '-e', 'FOO=bar baz', name, 'sh', '-c', 'echo "$FOO"']).stdout, 'bar baz\n', '-e FOO=...');
  t.equal(podman(['exec', name, 'sh', '-c', 'exit 7']).status, 7, 'exit 7 propagates');
  t.equal(podman(['exec', name, 'false']).status, 1, 'false -> 1');
  const out = podman(['exec', name, 'sh', '-c', 'echo o; echo e >&2']);
  t.same([out.stdout, out.stderr], ['o\n', 'e\n'], 'stdout and stderr apart');
  const det = podman(['exec', '-d', name, 'sh', '-c', 'sleep 0.3; echo detached > /tmp/d']);
  exits(t, det, 'exec -d');
  t.ok(det.ms < 5000, `exec -d returns without waiting (${det.ms} ms)`);
  t.ok(await until(() => podman(['exec', name, 'cat', '/tmp/d']).stdout === 'detached\n'), 'the detached process ran');
  const missing = podman(['exec', name, '/nonexistent']);
  t.equal(missing.status, 127, `missing binary -> 127 (${show(missing)})`);
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'the container is unaffected');
  exits(t, rmForce(name), 'rm -f');
});

t.test('-it: run and exec in a pty, typed input reaches the process', opts(), async (t) => {
  // Pitfall 5.5: a tty container living only a few ms can lose its output: sleep before exiting.
  const script = 'tty; read line; echo "got:$line"; sleep 0.4; exit 5';
  const run = await inPty(['run', '-it', '--rm', IMAGE, 'sh', '-c', script], 'typed-run\n');
  t.equal(run.code, 5, `run -it exit code (${JSON.stringify(run.out.slice(0, 300))})`);
  t.match(run.out, /^\/dev\/pts\/\d+\r?$/m, 'tty prints /dev/pts/N');
  t.match(run.out, /got:typed-run/, 'typed input reached the process');
  const name = uname('ttyexec');
  runDetached(t, ['--name', name, IMAGE, 'sleep', '1000']);
  const ex = await inPty(['exec', '-it', name, 'sh', '-c', script.replace('exit 5', 'exit 6')], 'typed-exec\n');
  t.equal(ex.code, 6, `exec -it exit code (${JSON.stringify(ex.out.slice(0, 300))})`);
  t.match(ex.out, /^\/dev\/pts\/\d+\r?$/m, 'tty prints /dev/pts/N');
  t.match(ex.out, /got:typed-exec/, 'typed input reached the exec process');
  const notty = podman(['exec', name, 'sh', '-c', 'tty; echo $?']);
  t.match(notty.stdout, /not a tty\n1\n$/, 'without -t there is no terminal');
  exits(t, rmForce(name), 'rm -f');
});

t.test('-i: stdin reaches run and exec; without -i it does not', opts(), async (t) => {
  const input = 'line one\nline two\n';
  const run = podman(['run', '-i', '--rm', IMAGE, 'sh', '-c', 'while read l; do echo "<$l>"; done; echo eof'], { input });
  exits(t, run, 'run -i');
  t.equal(run.stdout, '<line one>\n<line two>\neof\n', 'lines read, then EOF');
  const wc = podman(['run', '-i', '--rm', IMAGE, 'wc', '-c'], { input: 'x'.repeat(100_000) });
  t.equal(wc.stdout.trim(), '100000', '100000 bytes through');
  const closed = podman(['run', '--rm', IMAGE, 'sh', '-c', 'cat; echo done'], { input });
  t.equal(closed.stdout, 'done\n', 'without -i stdin is empty');
  const name = uname('stdin');
  runDetached(t, ['--name', name, IMAGE, 'sleep', '1000']);
  const ex = podman(['exec', '-i', name, 'sh', '-c', 'cat > /tmp/in; wc -l < /tmp/in'], { input });
  t.equal(ex.stdout.trim(), '2', 'exec -i');
  exits(t, rmForce(name), 'rm -f');
});

t.test('--read-only: the root is read-only, /tmp is a writable tmpfs', opts(), async (t) => {
  const r = podman(['run', '--rm', '--read-only', IMAGE, 'sh', '-c',
    'touch /rootfile; echo "root=$?"; echo x > /tmp/f && cat /tmp/f; grep " /tmp " /proc/mounts | cut -d" " -f1,3']);
  exits(t, r, 'run --read-only');
  t.match(r.stdout, /^root=1\n/, 'writing to / fails');
  t.match(r.stderr, /Read-only file system/, 'with EROFS');
  t.match(r.stdout, /\nx\ntmpfs tmpfs\n$/, '/tmp is a tmpfs and writable');
});

t.test('-v binds, read-write and :ro', opts(), async (t) => {
  const rw = hostDir('rw');
  const ro = hostDir('ro');
  fs.writeFileSync(path.join(rw, 'in'), 'from-host-rw\n');
  fs.writeFileSync(path.join(ro, 'in'), 'from-host-ro\n');
  const r = podman(['run', '--rm', '-v', `${rw}:/data`, '-v', `${ro}:/ro:ro`, IMAGE, 'sh', '-c',
    'cat /data/in /ro/in; echo from-ctr > /data/out; echo x > /ro/out; echo "ro=$?"']);
  exits(t, r, 'run -v');
  t.match(r.stdout, /^from-host-rw\nfrom-host-ro\nro=[1-9]\d*\n$/, 'both readable, :ro not writable');
  t.match(r.stderr, /Read-only file system/, ':ro write fails with EROFS');
  t.equal(fs.readFileSync(path.join(rw, 'out'), 'utf8'), 'from-ctr\n', 'the host sees the container\'s write');
  t.notOk(fs.existsSync(path.join(ro, 'out')), 'nothing written through :ro');
});

t.test('--user 1000:1000', opts(), async (t) => {
  const r = podman(['run', '--rm', '--user', '1000:1000', IMAGE, 'sh', '-c', 'id; touch /tmp/f && stat -c "%u:%g" /tmp/f']);
  exits(t, r, 'run --user');
  // podman adds passwd/group entries named after an unknown uid/gid: uid=1000(1000).
  t.match(r.stdout, /^uid=1000(\(1000\))? gid=1000(\(1000\))? groups=1000(\(1000\))?\n1000:1000\n$/, 'id, and files it makes are 1000:1000');
});

t.test('--cap-drop ALL: no effective capabilities', opts(), async (t) => {
  const dflt = podman(['run', '--rm', IMAGE, 'grep', 'CapEff', '/proc/self/status']);
  exits(t, dflt, 'run (default caps)');
  t.equal(dflt.stdout, 'CapEff:\t00000000a80425fb\n', 'podman\'s 14 default capabilities');
  const none = podman(['run', '--rm', '--cap-drop', 'ALL', IMAGE, 'grep', '-E', 'Cap(Eff|Prm|Bnd)', '/proc/self/status']);
  exits(t, none, 'run --cap-drop ALL');
  t.equal(none.stdout, 'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n', 'all zero');
  const chown = podman(['run', '--rm', '--cap-drop', 'ALL', IMAGE, 'sh', '-c', 'touch /tmp/f; chown 1000 /tmp/f']);
  t.not(chown.status, 0, 'chown needs CAP_CHOWN');
  t.match(chown.stderr, /Operation not permitted/, 'EPERM');
});

t.test('default /dev: nodes and links the runtime must create', opts(), async (t) => {
  const r = podman(['run', '--rm', IMAGE, 'sh', '-c', [
    'for f in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$f; done',
    'for l in ptmx fd stdin stdout stderr; do echo "/dev/$l -> $(readlink /dev/$l)"; done',
    'echo x > /dev/null && echo null-ok',
    'head -c 5 /dev/zero | wc -c',
    'head -c 8 /dev/urandom | wc -c',
    'echo x 2>/dev/null > /dev/full || echo full-enospc',
    'ls -d /dev/pts /dev/shm /dev/mqueue',
  ].join('; ')]);
  exits(t, r, 'run');
  t.equal(r.stdout, [
    '/dev/null character special file 1:3 666',
    '/dev/zero character special file 1:5 666',
    '/dev/full character special file 1:7 666',
    '/dev/random character special file 1:8 666',
    '/dev/urandom character special file 1:9 666',
    '/dev/tty character special file 5:0 666',
    '/dev/ptmx -> pts/ptmx',
    '/dev/fd -> /proc/self/fd',
    '/dev/stdin -> /proc/self/fd/0',
    '/dev/stdout -> /proc/self/fd/1',
    '/dev/stderr -> /proc/self/fd/2',
    'null-ok', '5', '8', 'full-enospc',
    '/dev/mqueue', '/dev/pts', '/dev/shm', '',
  ].join('\n'), 'char devices 1:3 1:5 1:7 1:8 1:9 5:0 (0666), the links, and they work');
});

t.test('--memory 32m: a memory hog is OOM-killed, exit 137', opts(), async (t) => {
  // tail buffers /dev/zero's one endless line until the cgroup's limit (memsw = 2x) is hit.
  const r = podman(['run', '--rm', '--memory', '32m', IMAGE, 'tail', '/dev/zero'], { timeout: 90_000 });
  t.equal(r.status, 137, `OOM kill -> 137 (${show(r)}, ${r.ms} ms)`);
});

t.test('--pids-limit 10: forks beyond the limit fail', opts(), async (t) => {
  // Only builtins after the fork loop: with 10 pids in use, $(...) would need a fork too.
  const r = podman(['run', '--rm', '--pids-limit', '10', IMAGE, 'sh', '-c', [
    '( i=0; while [ $i -lt 30 ]; do sleep 30 & i=$((i+1)); done ) 2>/tmp/err',
    'n=0; for p in /proc/[0-9]*; do n=$((n+1)); done',
    'read cur < /sys/fs/cgroup/pids/pids.current; read max < /sys/fs/cgroup/pids/pids.max',
    'read err < /tmp/err',
    'echo "procs=$n current=$cur max=$max"; echo "err=$err"',
  ].join('; ')], { timeout: 60_000 });
  exits(t, r, 'run --pids-limit 10');
  const m = /procs=(\d+) current=(\d+) max=(\d+)/.exec(r.stdout);
  t.ok(m, `counts printed (${r.stdout})`);
  if (m) {
    t.equal(m[3], '10', 'pids.max is 10 inside');
    t.ok(Number(m[1]) <= 10 && Number(m[1]) >= 5, `at most 10 processes (${m[1]})`);
    t.ok(Number(m[2]) <= 10, `pids.current <= 10 (${m[2]})`);
  }
  t.match(r.stdout, /err=.*can't fork/, 'the shell could not fork');
});

t.test('podman update --memory: the container sees the new limit', opts(), async (t) => {
  const name = uname('update');
  const id = runDetached(t, ['--name', name, '--memory', '64m', IMAGE, 'sleep', '1000']);
  // What runc shows on this v1/hybrid host: the container's own memory cgroup at /sys/fs/cgroup/memory.
  const own = podman(['exec', name, 'grep', ':memory:', '/proc/self/cgroup']);
  t.equal(own.stdout.trim().split(':').pop(), `/libpod_parent/libpod-${id}`, 'in its own memory cgroup');
  const limit = () => podman(['exec', name, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']).stdout.trim();
  t.equal(limit(), String(64 << 20), '64m inside');
  exits(t, podman(['update', '--memory', '128m', name]), 'update --memory 128m');
  t.equal(limit(), String(128 << 20), '128m inside after update');
  const host = `/sys/fs/cgroup/memory/libpod_parent/libpod-${id}/memory.limit_in_bytes`;
  t.equal(fs.readFileSync(host, 'utf8').trim(), String(128 << 20), 'and in the host cgroup file');
  exits(t, podman(['update', '--memory', '48m', name]), 'update --memory 48m (lowering)');
  t.equal(limit(), String(48 << 20), '48m inside');
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'still running');
  exits(t, rmForce(name), 'rm -f');
});

t.test('pause / unpause', opts(), async (t) => {
  const out = hostDir('pause');
  const name = uname('pause');
  const id = runDetached(t, ['--name', name, '-v', `${out}:/out`, IMAGE, 'sh', '-c',
    'i=0; while :; do i=$((i+1)); echo $i > /out/n.tmp; mv /out/n.tmp /out/n; sleep 0.05; done']);
  const counter = () => {
    try {
      return Number(fs.readFileSync(path.join(out, 'n'), 'utf8'));
    } catch {
      return 0;
    }
  };
  t.ok(await until(() => counter() > 2), 'counting');
  exits(t, podman(['pause', name]), 'pause');
  t.equal(inspect(name, '{{.State.Status}}'), 'paused', 'state paused');
  t.match(podman(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']).stdout, /Paused/, 'ps: Paused');
  const freezer = `/sys/fs/cgroup/freezer/libpod_parent/libpod-${id}/freezer.state`;
  t.equal(fs.readFileSync(freezer, 'utf8').trim(), 'FROZEN', 'freezer.state FROZEN');
  const frozenAt = counter();
  await sleep(600);
  t.equal(counter(), frozenAt, 'the counter stands still while paused');
  exits(t, podman(['unpause', name]), 'unpause');
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'running again');
  t.equal(fs.readFileSync(freezer, 'utf8').trim(), 'THAWED', 'freezer.state THAWED');
  t.ok(await until(() => counter() > frozenAt + 2), 'the counter runs on');
  exits(t, rmForce(name), 'rm -f');
});

t.test('restart', opts(), async (t) => {
  const name = uname('restart');
  runDetached(t, ['--name', name, IMAGE, 'sh', '-c', 'trap "exit 0" TERM; echo boot; while :; do sleep 0.1; done']);
  t.ok(await until(() => podman(['logs', name]).stdout.includes('boot')), 'booted');
  const pid = inspect(name, '{{.State.Pid}}');
  const r = podman(['restart', '-t', '5', name]);
  exits(t, r, 'restart');
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'running');
  t.not(inspect(name, '{{.State.Pid}}'), pid, 'a new process');
  t.ok(await until(() => podman(['logs', name]).stdout === 'boot\nboot\n'), 'logs: boot twice');
  exits(t, rmForce(name), 'rm -f');
});

t.test('rm -f of a running container', opts(), async (t) => {
  const name = uname('rmf');
  const id = runDetached(t, ['--name', name, IMAGE, 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
  t.equal(inspect(name, '{{.State.Status}}'), 'running', 'running');
  const conmon = Number(inspect(name, '{{.State.ConmonPid}}'));
  const pid = Number(inspect(name, '{{.State.Pid}}'));
  const r = podman(['rm', '-f', name]);
  exits(t, r, 'rm -f');
  t.equal(r.stdout.trim(), name, 'prints the name');
  t.equal(podman(['container', 'exists', name]).status, 1, 'gone');
  const alive = (p: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  t.ok(await until(() => !alive(pid) && !alive(conmon), 5000), 'its process and conmon are gone');
  t.notOk(fs.existsSync(`/sys/fs/cgroup/memory/libpod_parent/libpod-${id}`), 'its cgroup is gone');
});

t.test('--init: pid 1 is podman-init (catatonit)', {
  ...opts(),
  skip: problem ? `setup: ${problem}` : fs.existsSync(CATATONIT) ? false : `${CATATONIT} missing (Debian package catatonit)`,
}, async (t) => {
  const r = podman(['run', '--rm', '--init', IMAGE, 'sh', '-c', 'echo "me=$$"; tr "\\0" " " < /proc/1/cmdline']);
  exits(t, r, 'run --init');
  t.match(r.stdout, /^me=(?!1\n)\d+\n\/run\/podman-init -- sh -c /, 'pid 1 is /run/podman-init, the shell is not pid 1');
});

t.test('--network none, host, and the default (slirp4netns)', opts(), async (t) => {
  const none = podman(['run', '--rm', '--network', 'none', IMAGE, 'cat', '/proc/net/dev']);
  exits(t, none, 'run --network none');
  t.same(interfaces(none.stdout), ['lo'], 'none: only lo');
  const host = podman(['run', '--rm', '--network', 'host', IMAGE, 'cat', '/proc/net/dev']);
  exits(t, host, 'run --network host');
  t.same(interfaces(host.stdout), interfaces(fs.readFileSync('/proc/net/dev', 'utf8')), 'host: the host\'s interfaces');
  // No traffic is sent to slirp's 10.0.2.x addresses (this workplace allows loopback targets only):
  // the route and address slirp4netns configured are checked instead.
  const slirp = podman(['run', '--rm', IMAGE, 'sh', '-c', 'cat /proc/net/dev; echo @@; cat /proc/net/route; echo @@; ip -4 addr show tap0']);
  exits(t, slirp, 'run (default network)');
  const [dev = '', route = '', addr = ''] = slirp.stdout.split('@@\n');
  t.same(interfaces(dev), ['lo', 'tap0'], 'lo and slirp4netns\'s tap0');
  t.match(route, /^tap0\s+00000000\s+0202000A\s/m, 'default route via 10.0.2.2 on tap0');
  t.match(addr, /inet 10\.0\.2\.100\/24/, 'tap0 has 10.0.2.100/24');
});

t.test('-p 127.0.0.1:PORT:80 to busybox httpd', opts(), async (t) => {
  const port = await freePort();
  const name = uname('httpd');
  runDetached(t, ['--name', name, '-p', `127.0.0.1:${port}:80`, IMAGE, 'sh', '-c',
    'mkdir -p /www && echo "served from the container" > /www/index.html && exec httpd -f -p 80 -h /www']);
  let res: { status: number; body: string } | undefined;
  let lastError = '';
  for (let i = 0; i < 50 && !res; i++) {
    try {
      res = await httpGet(`http://127.0.0.1:${port}/index.html`);
    } catch (e) {
      lastError = (e as Error).message;
      await sleep(200);
    }
  }
  t.ok(res, `fetched from the host (${lastError || 'first try'})`);
  t.equal(res?.status, 200, 'HTTP 200');
  t.equal(res?.body, 'served from the container\n', 'the file');
  exits(t, rmForce(name), 'rm -f');
});

t.test('a pod: members share the network namespace', opts(), async (t) => {
  const pod = uname('pod');
  exits(t, podman(['pod', 'create', '--name', pod]), 'pod create');
  const web = uname('podweb');
  const webId = runDetached(t, ['--pod', pod, '--name', web, IMAGE, 'sh', '-c',
    'echo "pod-member-reply" > /tmp/i && exec httpd -f -p 8080 -h /tmp']);
  // How the runtime is told: a namespace path into the infra container (CLI-CONTRACT 3).
  const config = JSON.parse(fs.readFileSync(`${DIR}/root/overlay-containers/${webId}/userdata/config.json`, 'utf8'));
  const netns = config.linux.namespaces.find((n: { type: string }) => n.type === 'network');
  t.match(netns?.path, /^\/proc\/\d+\/ns\/net$/, 'config.json joins the infra container\'s netns by path');
  const probe = 'readlink /proc/self/ns/net; for i in $(seq 1 50); do wget -qO- http://127.0.0.1:8080/i && exit 0; sleep 0.1; done; exit 1';
  const other = podman(['run', '--rm', '--pod', pod, IMAGE, 'sh', '-c', probe]);
  exits(t, other, 'second member reaches the first on 127.0.0.1:8080');
  const [otherNs, reply] = other.stdout.split('\n');
  t.equal(reply, 'pod-member-reply', 'the reply');
  t.equal(podman(['exec', web, 'readlink', '/proc/self/ns/net']).stdout.trim(), otherNs, 'same net namespace');
  exits(t, podman(['pod', 'rm', '-f', '-t', '0', pod]), 'pod rm -f');
  t.equal(podman(['pod', 'exists', pod]).status, 1, 'pod gone');
});

t.test('--uidmap 0:100000:65536', opts(), async (t) => {
  const r = podman(['run', '--rm', '--uidmap', '0:100000:65536', IMAGE, 'sh', '-c',
    'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/f; stat -c %u /tmp/f']);
  exits(t, r, 'run --uidmap');
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.same(lines, ['0 100000 65536', '0 100000 65536', '0', '0'], 'uid_map and gid_map; root inside');
  const name = uname('uidmap');
  runDetached(t, ['--name', name, '--uidmap', '0:100000:65536', IMAGE, 'sleep', '1000']);
  const pid = inspect(name, '{{.State.Pid}}');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  t.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m, 'the host sees uid 100000');
  exits(t, rmForce(name), 'rm -f (retried once on podman\'s shm race)');
});

t.test('nothing is left behind', opts(180_000), async (t) => {
  exits(t, podman(['rm', '-af', '-t', '0']), 'rm -af');
  exits(t, podman(['pod', 'rm', '-af', '-t', '0']), 'pod rm -af');
  t.equal(podman(['ps', '-aq']).stdout, '', 'no containers');
  t.equal(podman(['pod', 'ps', '-q']).stdout, '', 'no pods');
  // conmon's exit spawns `podman container cleanup`; give those a moment.
  let left = leftovers(before);
  await until(() => {
    left = leftovers(before);
    return [left.processes, left.mounts, left.netns, left.cgroups, left.state].every((v) => v.length === 0);
  }, 15_000, 250);
  t.same(left.processes, [], 'no conmon, slirp4netns, rootlessport or podman processes of this suite');
  t.same(left.mounts, [], `no mounts under ${DIR}`);
  t.same(left.netns, [], 'no /run/netns entries created by the suite');
  t.same(left.cgroups, [], 'no cgroups created under libpod_parent (podman\'s own libpod_parent/conmon aside)');
  t.same(left.state, [], `no runtime state left in ${RUNTIME_STATE_DIRS.join(' or ')}`);
  // podman's own leftover (see isPodParentPodmanLeaves): empty, and removed here.
  for (const cg of left.podParents) {
    t.comment(`podman 4.3.1 left the pod cgroup ${cg}: removing it`);
    const children = fs.readdirSync(cg, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    t.same(children, [], `${cg}: no member cgroups left in it`);
    t.equal(fs.readFileSync(path.join(cg, 'cgroup.procs'), 'utf8'), '', `${cg}: no processes`);
    try {
      fs.rmdirSync(cg);
    } catch (e) {
      t.fail(`rmdir ${cg}: ${(e as Error).message}`);
    }
  }
});
