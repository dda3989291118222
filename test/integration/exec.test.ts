// `ociish exec` into a running container, as podman/conmon and containerd
// use it: the process joins every namespace and the cgroup of the container,
// gets the process settings (user, cwd, env, capabilities, no_new_privs),
// and its exit code is the command's; --detach with --pid-file; --process
// with a podman-made process file; a missing binary in runc's words.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeBundle, ociishBin, repoRoot, rootSkip, stateRoot, tempDir, uniqueId, ociishToFiles } from '../helpers/container';
import { fdReceiver, fdReceiverSkip } from '../helpers/fd-receiver';
import { defaultCgroupDirs } from '../helpers/cgroups';

/** ociish with stdout and stderr on files: a container it leaves running keeps them. */
const cli = ociishToFiles;

const id = uniqueId('exec');
let initPid = 0;

t.before(async () => {
  if (rootSkip) return;
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', 'while :; do sleep 1; done'];
    c.hostname = 'exec-box';
    c.process.env.push('FROM_CONFIG=yes');
  });
  const r = cli(['run', '-d', '--bundle', bundle, id]);
  if (r.status !== 0) throw new Error(`run -d failed: ${r.stderr}`);
  initPid = JSON.parse(cli(['state', id]).stdout).pid;
});

t.teardown(() => {
  if (!rootSkip) cli(['delete', '--force', id]);
});

const nsOf = (pid: number | 'self', type: string) => fs.readlinkSync(`/proc/${pid}/ns/${type}`);

t.test('the process joins every namespace and the cgroup of the container', { skip: rootSkip }, async (t) => {
  const r = cli(['exec', id, 'sh', '-c', 'hostname; for n in mnt uts ipc net pid; do readlink /proc/self/ns/$n; done; grep NSpid /proc/self/status; cat /proc/self/cgroup | grep pids']);
  if (!t.equal(r.status, 0, `exec exits 0 (stderr: ${r.stderr.trim() || '-'})`)) return;
  const [hostname, mnt, uts, ipc, net, pid, nspid, cgroup] = r.stdout.trim().split('\n');
  t.equal(hostname, 'exec-box', "the container's hostname");
  t.equal(mnt, nsOf(initPid, 'mnt'), 'the mount namespace of the init');
  t.equal(uts, nsOf(initPid, 'uts'), 'uts');
  t.equal(ipc, nsOf(initPid, 'ipc'), 'ipc');
  t.equal(net, nsOf(initPid, 'net'), 'net');
  t.equal(pid, nsOf(initPid, 'pid'), 'pid');
  // The container's /proc shows pids of its own namespace: one level, a small number that is not the init's 1.
  const inside = Number(/^NSpid:\s+(\d+)$/.exec(nspid ?? '')?.[1]);
  t.ok(inside > 1 && inside < 1000, `a pid of the container's pid namespace (${nspid})`);
  t.match(cgroup, new RegExp(`${id}$`), "the container's cgroup");
  const pids = defaultCgroupDirs(id).find((d) => d.includes('/pids/'));
  t.ok(pids, 'the container has a pids cgroup');
});

t.test('exit code, user, cwd, env, capabilities, no_new_privs', { skip: rootSkip }, async (t) => {
  t.equal(cli(['exec', id, 'sh', '-c', 'exit 7']).status, 7, 'the exit code is the process exit code');
  t.equal(cli(['exec', id, 'sh', '-c', 'kill -9 $$']).status, 137, 'killed by SIGKILL: 137');
  const who = cli(['exec', '--user', '1000:1001', '-g', '5', id, 'sh', '-c', 'id -u; id -g; id -G']);
  t.same(who.stdout.trim().split('\n'), ['1000', '1001', '1001 5'], '--user and --additional-gids');
  t.equal(cli(['exec', '--cwd', '/tmp', id, 'pwd']).stdout, '/tmp\n', '--cwd');
  const env = cli(['exec', '-e', 'FOO=bar', '--env', 'BAZ=qux', id, 'sh', '-c', 'echo $FOO $BAZ $FROM_CONFIG']);
  t.equal(env.stdout, 'bar qux yes\n', '--env adds to the container env');
  const caps = (args: string[]) => /^CapEff:\s+(\S+)/m.exec(cli(['exec', ...args, id, 'cat', '/proc/self/status']).stdout)?.[1];
  const base = BigInt(`0x${caps([])}`);
  t.equal(base & (1n << 12n), 0n, 'CAP_NET_ADMIN is not in the default set');
  t.equal(BigInt(`0x${caps(['--cap', 'CAP_NET_ADMIN'])}`), base | (1n << 12n), '--cap CAP_NET_ADMIN adds it');
  t.match(cli(['exec', '--no-new-privs', id, 'cat', '/proc/self/status']).stdout, /^NoNewPrivs:\s+1$/m, '--no-new-privs');
});

t.test('a missing binary fails in runc words; podman maps that to 127', { skip: rootSkip }, async (t) => {
  const r = cli(['exec', id, 'no-such-binary']);
  t.equal(r.status, 1, 'exec fails');
  t.match(r.stderr, /executable file not found in \$PATH/);
  const abs = cli(['exec', id, '/no/such/file']);
  t.match(abs.stderr, /no such file or directory/);
});

t.test('--detach --pid-file: returns with the process running in the container', { skip: rootSkip }, async (t) => {
  const pidFile = path.join(tempDir('exec-pid'), 'pid');
  const r = cli(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']);
  if (!t.equal(r.status, 0, `exec -d exits 0 (stderr: ${r.stderr.trim() || '-'})`)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.equal(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x0030\x00', 'the pid file names the running process');
  t.equal(nsOf(pid, 'pid'), nsOf(initPid, 'pid'), 'in the container pid namespace');
  const inCgroup = JSON.parse(cli(['ps', '--format', 'json', id]).stdout) as number[];
  t.ok(inCgroup.includes(pid), 'ps lists it');
  process.kill(pid, 'SIGKILL');
});

t.test('--process with a process file made by podman', { skip: rootSkip }, async (t) => {
  const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test', 'unit', 'fixtures', 'spec', 'podman-exec-process.json'), 'utf8'));
  fixture.args = ['sh', '-c', 'echo from-process-file; id -u'];
  fixture.terminal = false;
  const file = path.join(tempDir('proc'), 'process.json');
  fs.writeFileSync(file, JSON.stringify(fixture));
  const r = cli(['exec', '--process', file, id]);
  t.equal(r.status, 0, `exec --process exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  t.equal(r.stdout, `from-process-file\n${fixture.user.uid}\n`, 'the process file ran');
  const bad = path.join(tempDir('proc'), 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ ...fixture, cwd: 'relative' }));
  const refused = cli(['exec', '--process', bad, id]);
  t.equal(refused.status, 1, 'an invalid process file is refused');
  t.match(refused.stderr, /\/cwd/, 'naming the field');
});

t.test('exec into a stopped or unknown container fails', { skip: rootSkip }, async (t) => {
  const r = cli(['exec', 'no-such-container', 'true']);
  t.equal(r.status, 1);
  t.match(r.stderr, /does not exist/);
});

t.test('exec --preserve-fds, --pidfd-socket; a paused container', { skip: rootSkip || fdReceiverSkip }, async (t) => {
  const dir = tempDir('exec-fds');
  fs.writeFileSync(path.join(dir, 'in'), 'fd three\n');
  const fd = fs.openSync(path.join(dir, 'in'), 'r');
  const outFd = fs.openSync(path.join(dir, 'out'), 'w');
  const r = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ociishBin, '--root', stateRoot, 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'cat <&3'], { stdio: ['ignore', outFd, 'pipe', fd], encoding: 'utf8' });
  fs.closeSync(fd);
  fs.closeSync(outFd);
  t.equal(r.status, 0, `exec --preserve-fds 1 (stderr: ${r.stderr.trim() || '-'})`);
  t.equal(fs.readFileSync(path.join(dir, 'out'), 'utf8'), 'fd three\n', 'fd 3 reached the process');

  const socketPath = path.join(dir, 'sock');
  const receiver = await fdReceiver(socketPath, 'describe');
  t.teardown(receiver.kill);
  const detached = cli(['exec', '--detach', '--pidfd-socket', socketPath, id, 'sleep', '0.5']);
  t.equal(detached.status, 0, 'exec --detach --pidfd-socket');
  await receiver.done;
  t.match(receiver.output(), /^fd anon_inode:\[pidfd\]$/m, 'a pidfd of the process reached the socket');

  t.equal(cli(['pause', id]).status, 0, 'pause');
  const refused = cli(['exec', id, 'true']);
  t.equal(refused.status, 1, 'exec into a paused container fails');
  t.match(refused.stderr, /cannot exec: container is paused/);
  const ignored = cli(['exec', '--ignore-paused', id, 'true']);
  t.equal(ignored.status, 1, '--ignore-paused is refused (the process would hang in the frozen cgroup)');
  t.match(ignored.stderr, /--ignore-paused is not supported/);
  t.equal(cli(['resume', id]).status, 0, 'resume');
});

t.test('exec -t --console-socket: the process runs on a new pty of the container', { skip: rootSkip || fdReceiverSkip }, async (t) => {
  const socketPath = path.join(tempDir('exec-tty'), 'sock');
  const receiver = await fdReceiver(socketPath, 'read');
  t.teardown(receiver.kill);
  const r = cli(['exec', '-t', '--console-socket', socketPath, id, 'sh', '-c', 'tty; sleep 0.3']);
  t.equal(r.status, 0, `exec -t exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  await receiver.done;
  t.match(receiver.output(), /^payload \/dev\/pts\/\d+ 1$/m, 'the master arrived with the pty path');
  t.match(receiver.output(), /^\/dev\/pts\/\d+\r?$/m, 'tty: the process is on that pty');
  const noSocket = cli(['exec', '-t', id, 'true']);
  t.equal(noSocket.status, 1, 'exec -t without --console-socket is refused');
});
