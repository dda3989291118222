// The runc lifecycle through the CLI, as podman/conmon and containerd drive
// it: create (init blocked before execve, pid file, reparented), start,
// state, kill, delete, list, ps, pause/resume, update, events, run -d/--keep,
// and the edge cases (start twice, kill a stopped container, delete a running
// one, an existing id, the init dying before start, create killed half way).
// Every container is real; what runs inside reports through files in a bind
// mount, since a created container outlives the command that made it.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBundle, ociishBin, processesMentioning, rootSkip, stateRoot, tempDir, uniqueId, type Config, ociishToFiles, type RunResult } from '../helpers/container';
import { defaultCgroupDirs } from '../helpers/cgroups';
import { fdReceiver, fdReceiverSkip } from '../helpers/fd-receiver';

/** ociish with stdout and stderr on files: a container it leaves running keeps them. */
const cli = ociishToFiles;

function ok(t: Test, r: RunResult, what: string): boolean {
  return t.equal(r.status, 0, `${what} exits 0 (stderr: ${r.stderr.trim() || '-'})`);
}

function state(id: string): { status: string; pid: number; [k: string]: unknown } | undefined {
  const r = cli(['state', id]);
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** A process that runs (a zombie is dead: our machine's pid 1 reaps orphans late). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}

/** Processes whose cgroup path (any hierarchy) names `name`. */
function processesInCgroup(name: string): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(name);
    } catch {
      return false;
    }
  });
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A bundle running `script`, with a host directory at /out for what it reports. */
async function bundleWith(script: string, edit?: (c: Config) => void): Promise<{ bundle: string; out: string }> {
  const out = tempDir('out');
  fs.chmodSync(out, 0o777);
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
    edit?.(c);
  });
  return { bundle, out };
}

/** The default config masks /proc/keys; the keyring tests read it. */
const unmaskKeys = (c: Config) => (c.linux.maskedPaths = c.linux.maskedPaths.filter((p: string) => p !== '/proc/keys'));

const created: string[] = [];
/** Creates a container (remembered for the final cleanup). */
function create(id: string, bundle: string, extra: string[] = []): RunResult {
  created.push(id);
  return cli(['create', '--bundle', bundle, ...extra, id]);
}

t.teardown(() => {
  for (const id of created) cli(['delete', '--force', id]);
});

t.test('create leaves the init blocked before execve; start runs it; state follows; delete removes it all', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('echo started > /out/marker; cat /proc/keys > /out/keys; sleep 2; echo done > /out/done', unmaskKeys);
  const id = uniqueId('life');
  const pidFile = path.join(tempDir('pid'), 'pid');
  const r = create(id, bundle, ['--pid-file', pidFile]);
  if (!ok(t, r, 'create')) return;
  t.equal(r.stdout, '', 'create prints nothing on stdout');
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.ok(pid > 0, `the pid file holds the init's pid (${pid})`);
  const s = state(id);
  t.equal(s?.status, 'created', 'state: created');
  t.equal(s?.pid, pid, 'state: the pid of the pid file');
  t.equal(s?.bundle, bundle, 'state: the bundle');
  t.equal(s?.ociVersion, '1.3.0');
  await sleep(200);
  t.notOk(fs.existsSync(path.join(out, 'marker')), 'the container program has not run before start');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  t.ok(rss > 0 && rss < 4096, `the waiting init holds little memory (VmRSS ${rss} kB), not the runtime's heap`);
  t.not(Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]), process.pid, 'the init outlived create and was reparented');
  const cgroups = defaultCgroupDirs(id);
  const procs = cgroups.find((d) => d.includes('/pids/'));
  t.ok(procs && fs.readFileSync(path.join(procs, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), 'the init is in the container cgroup');

  const started = cli(['start', id]);
  if (!ok(t, started, 'start')) return;
  await until('the marker', () => fs.existsSync(path.join(out, 'marker')));
  t.equal(fs.readFileSync(path.join(out, 'marker'), 'utf8'), 'started\n', 'start ran the program');
  await until('the keys', () => fs.existsSync(path.join(out, 'keys')));
  t.match(fs.readFileSync(path.join(out, 'keys'), 'utf8'), new RegExp(`keyring\\s+${id}: `), 'a new session keyring named after the container (as runc)');
  t.equal(state(id)?.status, 'running', 'state: running while it sleeps');
  const again = cli(['start', id]);
  t.equal(again.status, 1, 'a second start fails');
  t.match(again.stderr, /cannot start an already running container/);
  await until('the end', () => fs.existsSync(path.join(out, 'done')));
  await until('stopped', () => state(id)?.status === 'stopped');
  t.equal(state(id)?.pid, 0, 'a stopped container shows pid 0');
  const afterStop = cli(['start', id]);
  t.match(afterStop.stderr, /cannot start a container that has stopped/, 'start of a stopped container fails');
  const del = cli(['delete', id]);
  if (!ok(t, del, 'delete of a stopped container')) return;
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'the state directory is gone');
  t.ok(cgroups.every((d) => !fs.existsSync(d)), 'the cgroups are gone');
  t.equal(cli(['state', id]).status, 1, 'state of a deleted container fails');
});

t.test('kill: names and numbers, --all, a stopped container', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('trap "echo usr1 >> /out/sig" USR1; trap "echo term >> /out/sig; exit 3" TERM; touch /out/ready; while :; do sleep 0.05; done');
  const id = uniqueId('kill');
  if (!ok(t, create(id, bundle), 'create') || !ok(t, cli(['start', id]), 'start')) return;
  await until('ready', () => fs.existsSync(path.join(out, 'ready')));
  for (const sig of ['USR1', 'SIGUSR1', '10', 'usr1']) {
    const before = fs.existsSync(path.join(out, 'sig')) ? fs.readFileSync(path.join(out, 'sig'), 'utf8').length : 0;
    ok(t, cli(['kill', id, sig]), `kill ${sig}`);
    await until(`the trap for ${sig}`, () => fs.existsSync(path.join(out, 'sig')) && fs.readFileSync(path.join(out, 'sig'), 'utf8').length > before);
  }
  t.equal(cli(['kill', id, 'NOSUCHSIG']).status, 1, 'an unknown signal is refused');
  ok(t, cli(['kill', id]), 'kill with the default signal (TERM)');
  await until('stopped', () => state(id)?.status === 'stopped');
  t.equal(fs.readFileSync(path.join(out, 'sig'), 'utf8'), 'usr1\nusr1\nusr1\nusr1\nterm\n', 'every signal reached the trap');
  const late = cli(['kill', id, 'KILL']);
  t.equal(late.status, 1, 'kill of a stopped container fails');
  t.match(late.stderr, /container not running/, "with the phrase containerd maps to NotFound");
  ok(t, cli(['delete', id]), 'delete');

  // --all reaches a process the init forked
  const all = await bundleWith('sh -c "trap \\"echo child >> /out/all; exit\\" USR2; touch /out/child; while :; do sleep 0.05; done" & trap "echo init >> /out/all" USR2; while :; do sleep 0.05; done');
  const id2 = uniqueId('killall');
  if (!ok(t, create(id2, all.bundle), 'create') || !ok(t, cli(['start', id2]), 'start')) return;
  await until('the child', () => fs.existsSync(path.join(all.out, 'child')));
  ok(t, cli(['kill', '--all', id2, 'USR2']), 'kill --all');
  await until('both traps', () => fs.existsSync(path.join(all.out, 'all')) && fs.readFileSync(path.join(all.out, 'all'), 'utf8').split('\n').length >= 3);
  t.same(fs.readFileSync(path.join(all.out, 'all'), 'utf8').trim().split('\n').sort(), ['child', 'init'], 'the init and its child both got the signal');
  ok(t, cli(['delete', '--force', id2]), 'delete --force');
});

t.test('delete: refuses a running container without --force; --force kills it; unknown ids', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('while :; do sleep 1; done');
  const id = uniqueId('del');
  if (!ok(t, create(id, bundle), 'create') || !ok(t, cli(['start', id]), 'start')) return;
  const pid = state(id)!.pid;
  const cgroups = defaultCgroupDirs(id);
  const refused = cli(['delete', id]);
  t.equal(refused.status, 1, 'delete of a running container fails');
  t.match(refused.stderr, /not stopped: running/);
  t.equal(state(id)?.status, 'running', 'and leaves it running');
  ok(t, cli(['delete', '--force', id]), 'delete --force');
  t.notOk(alive(pid), 'the init is gone (or a zombie its new parent has yet to reap)');
  t.ok(cgroups.every((d) => !fs.existsSync(d)), 'its cgroups are gone');
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'its state is gone');
  ok(t, cli(['delete', '--force', 'no-such-container']), 'delete --force of an unknown id');
  const unknown = cli(['delete', 'no-such-container']);
  t.equal(unknown.status, 1, 'delete of an unknown id without --force fails');
  t.match(unknown.stderr, /does not exist/);

  // A created (never started) container needs no --force.
  const id2 = uniqueId('del-created');
  if (!ok(t, create(id2, bundle), 'create')) return;
  const pid2 = state(id2)!.pid;
  ok(t, cli(['delete', id2]), 'delete of a created container');
  t.notOk(alive(pid2), 'its init is gone');
});

t.test('delete --force of a paused container', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('while :; do sleep 0.05; done');
  const id = uniqueId('paused');
  if (!ok(t, create(id, bundle), 'create') || !ok(t, cli(['start', id]), 'start') || !ok(t, cli(['pause', id]), 'pause')) return;
  const pid = state(id)!.pid;
  ok(t, cli(['delete', '--force', id]), 'delete --force');
  t.notOk(alive(pid), 'the frozen init is gone');
  t.same(defaultCgroupDirs(id), [], 'its cgroups are gone');
});

t.test('an existing id is refused and the first container is untouched', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('sleep 5');
  const id = uniqueId('dup');
  if (!ok(t, create(id, bundle), 'create')) return;
  const first = state(id);
  const second = create(id, bundle);
  t.equal(second.status, 1, 'a second create with the same id fails');
  t.match(second.stderr, /already exists/);
  t.same(state(id), first, 'the first container is as it was');
  ok(t, cli(['delete', id]), 'delete');
});

t.test('the init dying before start: stopped, start fails, delete cleans up', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('echo ran > /out/marker');
  const id = uniqueId('died');
  if (!ok(t, create(id, bundle), 'create')) return;
  const pid = state(id)!.pid;
  process.kill(pid, 'SIGKILL');
  await until('stopped', () => state(id)?.status === 'stopped');
  const r = cli(['start', id]);
  t.equal(r.status, 1, 'start fails');
  t.notOk(fs.existsSync(path.join(out, 'marker')), 'the program never ran');
  ok(t, cli(['delete', id]), 'delete');
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'the state is gone');
});

t.test('create killed at any point, then delete --force: nothing left on the host', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('sleep 30');
  for (const delay of [20, 45, 70, 95, 120, 150, 200]) {
    const id = uniqueId('killed-create');
    created.push(id);
    const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await sleep(delay);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    const del = cli(['delete', '--force', id]);
    t.equal(del.status, 0, `delete --force after create was killed at ${delay} ms (stderr: ${del.stderr.trim() || '-'})`);
    t.notOk(fs.existsSync(path.join(stateRoot, id)), `no state left (${delay} ms)`);
    // A waiting init has no command line left (its memory is trimmed): look for it by its cgroup too.
    t.same([...processesMentioning(id), ...processesInCgroup(id)].filter(alive), [], `no process left (${delay} ms)`);
    t.same(defaultCgroupDirs(id), [], `no cgroup left (${delay} ms)`);
  }
});

t.test('list, ps, pause/resume, update, events', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('i=0; while :; do i=$((i+1)); echo $i > /out/count; sleep 0.02; done');
  const id = uniqueId('ops');
  if (!ok(t, create(id, bundle), 'create')) return;
  const list = cli(['list']);
  t.match(list.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/m, 'list: the table header');
  t.match(list.stdout, new RegExp(`^${id}\\s+\\d+\\s+created\\s+${bundle}\\s`, 'm'), 'list: the container, created');
  t.ok(cli(['list', '-q']).stdout.split('\n').includes(id), 'list -q: the id');
  const json = JSON.parse(cli(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
  t.equal(json.find((s) => s.id === id)?.status, 'created', 'list --format json');
  if (!ok(t, cli(['start', id]), 'start')) return;
  await until('counting', () => fs.existsSync(path.join(out, 'count')));
  const pid = state(id)!.pid;
  const pids = JSON.parse(cli(['ps', '--format', 'json', id]).stdout) as number[];
  t.ok(pids.includes(pid), `ps --format json lists the init (${pids.join(',')})`);
  const table = cli(['ps', id]).stdout.split('\n');
  t.match(table[0], /PID/, 'ps: the header of ps -ef');
  t.ok(table.some((l) => l.split(/\s+/)[1] === String(pid)), 'ps: a row for the init');

  ok(t, cli(['pause', id]), 'pause');
  t.equal(state(id)?.status, 'paused', 'state: paused');
  const frozen = fs.readFileSync(path.join(out, 'count'), 'utf8');
  await sleep(200);
  t.equal(fs.readFileSync(path.join(out, 'count'), 'utf8'), frozen, 'the counter stands still');
  t.equal(cli(['pause', id]).status, 1, 'pausing a paused container fails');
  ok(t, cli(['resume', id]), 'resume');
  t.equal(state(id)?.status, 'running', 'state: running again');
  await until('counting again', () => fs.readFileSync(path.join(out, 'count'), 'utf8') !== frozen);
  t.equal(cli(['resume', id]).status, 1, 'resuming a running container fails');
  const freezer = defaultCgroupDirs(id).find((d) => d.includes('/freezer/'));
  if (freezer) {
    ok(t, cli(['pause', id]), 'pause again');
    t.equal(fs.readFileSync(path.join(freezer, 'freezer.state'), 'utf8').trim(), 'FROZEN', 'the v1 freezer holds it (as runc on a hybrid host)');
    ok(t, cli(['resume', id]), 'resume');
  }

  const resources = path.join(tempDir('res'), 'r.json');
  fs.writeFileSync(resources, JSON.stringify({ pids: { limit: 77 } }));
  ok(t, cli(['update', '--resources', resources, id]), 'update --resources FILE');
  const pidsDir = defaultCgroupDirs(id).find((d) => d.includes('/pids/'));
  t.equal(pidsDir && fs.readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim(), '77', 'pids.max is the new limit');
  ok(t, cli(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 88 } }) }), 'update --resources - (stdin)');
  t.equal(pidsDir && fs.readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim(), '88', 'pids.max from stdin');
  const bad = cli(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 'many' } }) });
  t.equal(bad.status, 1, 'an invalid resources object is refused');
  t.match(bad.stderr, /\/pids\/limit/, 'naming the field');

  const stats = JSON.parse(cli(['events', '--stats', id]).stdout);
  t.equal(stats.type, 'stats');
  t.equal(stats.id, id);
  t.ok(stats.data.pids.current >= 1, `events --stats: pids.current ${stats.data.pids.current}`);
  t.equal(stats.data.pids.limit, 88, 'events --stats: the updated pids limit');
  t.ok(stats.data.memory.usage.usage > 0, 'events --stats: memory usage');
  ok(t, cli(['delete', '--force', id]), 'delete --force');
});

t.test('events streams stats at the interval and ends when the container stops', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('sleep 0.7');
  const id = uniqueId('events');
  if (!ok(t, create(id, bundle), 'create') || !ok(t, cli(['start', id]), 'start')) return;
  const r = cli(['events', '--interval', '100ms', id]);
  ok(t, r, 'events');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  t.ok(lines.length >= 3 && lines.every((l) => l.type === 'stats'), `a stats event every 100 ms until the end (${lines.length})`);
  ok(t, cli(['delete', id]), 'delete');
});

t.test('run -d returns with the container running; run --keep keeps the stopped container', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('echo $$ > /out/pid; sleep 30');
  const id = uniqueId('rund');
  created.push(id);
  const pidFile = path.join(tempDir('pid'), 'pid');
  if (!ok(t, cli(['run', '-d', '--pid-file', pidFile, '--bundle', bundle, id]), 'run -d')) return;
  t.equal(state(id)?.status, 'running', 'state: running');
  t.equal(state(id)?.pid, Number(fs.readFileSync(pidFile, 'utf8')), 'the pid file');
  await until('the pid', () => fs.existsSync(path.join(out, 'pid')));
  ok(t, cli(['delete', '--force', id]), 'delete --force');

  const kept = await bundleWith('exit 4');
  const id2 = uniqueId('keep');
  created.push(id2);
  const r = cli(['run', '--keep', '--bundle', kept.bundle, id2]);
  t.equal(r.status, 4, 'run --keep: the exit code');
  t.equal(state(id2)?.status, 'stopped', 'the stopped container is kept');
  ok(t, cli(['delete', id2]), 'delete');
  t.notOk(fs.existsSync(path.join(stateRoot, id2)), 'gone after delete');
});

t.test('features: the spec features document, true to this kernel', async (t) => {
  const r = cli(['features']);
  if (!ok(t, r, 'features')) return;
  const f = JSON.parse(r.stdout);
  t.equal(f.ociVersionMin, '1.0.0');
  t.equal(f.ociVersionMax, '1.3.0');
  t.same(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'], 'every hook');
  t.ok(f.mountOptions.includes('rbind') && f.mountOptions.includes('nosymfollow') && f.mountOptions.includes('rro'), 'mount options');
  t.ok(f.mountOptions.includes('tmpcopyup'), 'tmpcopyup is listed');
  t.notOk(f.mountOptions.includes('idmap'), 'refused options are not listed');
  t.same(f.linux.namespaces.slice().sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
  t.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN'));
  t.same(f.linux.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
  t.equal(f.linux.seccomp.enabled, true);
  t.ok(f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY') && f.linux.seccomp.actions.includes('SCMP_ACT_KILL_PROCESS'), 'seccomp actions this kernel has');
  t.same(f.linux.seccomp.archs, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.same(f.linux.seccomp.knownFlags.length, 4);
  t.ok(f.linux.seccomp.supportedFlags.includes('SECCOMP_FILTER_FLAG_LOG'), 'a 6.x kernel has the LOG flag');
  t.ok(f.linux.seccomp.supportedFlags.every((x: string) => f.linux.seccomp.knownFlags.includes(x)), 'supported flags are known flags');
  t.equal(f.linux.apparmor.enabled, false);
});

t.test('create --console-socket: the pty master reaches the socket; the container writes to the pty', { skip: rootSkip || fdReceiverSkip }, async (t) => {
  const { bundle } = await bundleWith('tty; stty size; echo via-pty; sleep 0.3', (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 30, width: 100 };
  });
  const socketPath = path.join(tempDir('console'), 'sock');
  const receiver = await fdReceiver(socketPath, 'read');
  t.teardown(receiver.kill);
  const id = uniqueId('console');
  const noSocket = create(id, bundle);
  t.equal(noSocket.status, 1, 'a terminal without --console-socket is refused');
  t.match(noSocket.stderr, /console socket/);
  if (!ok(t, create(id, bundle, ['--console-socket', socketPath]), 'create --console-socket')) return;
  await until('the master', () => receiver.output().includes('payload'));
  t.match(receiver.output(), /^payload \/dev\/pts\/0 1$/m, 'one fd, with the pty path as payload (as runc sends it)');
  t.match(receiver.output(), /^fd \S*ptmx$/m, "the fd is the container devpts's ptmx (a master)");
  if (!ok(t, cli(['start', id]), 'start')) return;
  await receiver.done;
  const out = receiver.output();
  t.match(out, /^\/dev\/pts\/0\r?$/m, 'tty: the container runs on /dev/pts/0 of its own devpts');
  t.match(out, /^30 100\r?$/m, 'consoleSize applied');
  t.match(out, /^via-pty\r?$/m, 'its output arrives through the master');
  ok(t, cli(['delete', id]), 'delete');
});

t.test('create flags: --no-pivot refused, --no-new-keyring accepted, --preserve-fds', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('cat <&3 > /out/fd3; cat /proc/keys > /out/keys; touch /out/ready; sleep 1', unmaskKeys);
  const id = uniqueId('flags');
  const pivot = create(id, bundle, ['--no-pivot']);
  t.equal(pivot.status, 1, '--no-pivot is refused');
  t.match(pivot.stderr, /--no-pivot is not supported yet/);
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'and leaves nothing');
  const input = path.join(tempDir('fd3'), 'in');
  fs.writeFileSync(input, 'through fd 3\n');
  const fd = fs.openSync(input, 'r');
  created.push(id);
  // stderr on a file: the container keeps it, and a pipe would hold spawnSync until it exits.
  const errFile = path.join(tempDir('fd3'), 'err');
  const err = fs.openSync(errFile, 'w');
  const r = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, 'create', '--no-new-keyring', '--preserve-fds', '1', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', err, fd], timeout: 30_000 });
  fs.closeSync(fd);
  fs.closeSync(err);
  if (!t.equal(r.status, 0, `create --preserve-fds 1 --no-new-keyring (stderr: ${fs.readFileSync(errFile, 'utf8').trim() || '-'})`)) return;
  if (!ok(t, cli(['start', id]), 'start')) return;
  await until('ready', () => fs.existsSync(path.join(out, 'ready')));
  t.equal(fs.readFileSync(path.join(out, 'fd3'), 'utf8'), 'through fd 3\n', 'fd 3 reached the container');
  t.notMatch(fs.readFileSync(path.join(out, 'keys'), 'utf8'), new RegExp(`keyring\\s+${id}: `), '--no-new-keyring: no keyring of its own');
  // Seen from the host (busybox's in-process applets would show their own saved fds from inside).
  t.same(fs.readdirSync(`/proc/${state(id)!.pid}/fd`).map(Number).sort((a, b) => a - b), [0, 1, 2, 3], 'the init has stdio and fd 3, nothing of the runtime');
  await until('stopped', () => state(id)?.status === 'stopped');
  ok(t, cli(['delete', id]), 'delete');
});

t.test('create --pidfd-socket: a pidfd of the init reaches the socket', { skip: rootSkip || fdReceiverSkip }, async (t) => {
  const { bundle } = await bundleWith('true');
  const socketPath = path.join(tempDir('pidfd'), 'sock');
  const receiver = await fdReceiver(socketPath, 'describe');
  t.teardown(receiver.kill);
  const id = uniqueId('pidfd');
  if (!ok(t, create(id, bundle, ['--pidfd-socket', socketPath]), 'create --pidfd-socket')) return;
  await receiver.done;
  t.match(receiver.output(), new RegExp(`^payload ${state(id)!.pid} 1$`, 'm'), 'one fd, with the pid as payload');
  t.match(receiver.output(), /^fd anon_inode:\[pidfd\]$/m, 'the fd is a pidfd');
  ok(t, cli(['delete', id]), 'delete');
});

t.test('concurrent commands on one id: two starts, one wins; two deletes, both succeed', { skip: rootSkip }, async (t) => {
  const { bundle, out } = await bundleWith('echo once >> /out/runs; sleep 0.3');
  const id = uniqueId('race');
  if (!ok(t, create(id, bundle), 'create')) return;
  const bg = (args: string[]) =>
    new Promise<number | null>((resolve) => {
      const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, ...args], { stdio: 'ignore' });
      child.once('exit', (code) => resolve(code));
    });
  const starts = await Promise.all([bg(['start', id]), bg(['start', id])]);
  t.same(starts.slice().sort(), [0, 1], `one start succeeds, the other fails (${starts.join(', ')})`);
  await until('the run', () => fs.existsSync(path.join(out, 'runs')));
  await sleep(100);
  t.equal(fs.readFileSync(path.join(out, 'runs'), 'utf8'), 'once\n', 'the process ran once');
  const deletes = await Promise.all([bg(['delete', '--force', id]), bg(['delete', '--force', id])]);
  t.same(deletes, [0, 0], 'two concurrent delete --force both exit 0');
  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'the state is gone');
  t.same(defaultCgroupDirs(id), [], 'the cgroups are gone');
});

t.test('global flags: --debug is accepted, --systemd-cgroup refused', { skip: rootSkip }, async (t) => {
  const { bundle } = await bundleWith('true');
  ok(t, cli(['--debug', 'run', '--bundle', bundle, uniqueId('debug')]), 'run with --debug');
  const sd = cli(['--systemd-cgroup', 'create', '--bundle', bundle, uniqueId('systemd')]);
  t.equal(sd.status, 1, '--systemd-cgroup fails');
  t.match(sd.stderr, /the systemd cgroup driver is not supported/);
});
