// OCI hooks through the CLI: each phase at its moment (create: prestart,
// createRuntime, createContainer; start: startContainer, poststart; delete:
// poststop), in the namespace the spec gives, with the state JSON on stdin,
// its args and env; a failing or timed-out hook fails create (leaving
// nothing) but only warns after start. Foreground `run` runs them all.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeBundle, privateRootfs, rootSkip, stateRoot, tempDir, uniqueId, type Config, ociishToFiles } from '../helpers/container';
import { defaultCgroupDirs } from '../helpers/cgroups';

/** ociish with stdout and stderr on files: a container it leaves running keeps them. */
const cli = ociishToFiles;

interface HookRecord {
  phase: string;
  state: { status: string; pid: number; id: string; bundle: string; ociVersion: string };
  mnt: string;
  env: string;
  arg: string;
}

/**
 * A hook directory (the same path on the host and, bind-mounted, in the
 * container, since startContainer's path resolves there) holding hook.sh,
 * which appends one JSON line per call to log.
 */
function hookDir(): { dir: string; hook: string; log: string; records: () => HookRecord[] } {
  const dir = tempDir('hooks');
  fs.chmodSync(dir, 0o777);
  const log = path.join(dir, 'log');
  const hook = path.join(dir, 'hook.sh');
  fs.writeFileSync(
    hook,
    `#!/bin/sh
state=$(cat)
printf '{"phase":"%s","arg":"%s","env":"%s","mnt":"%s","state":%s}\\n' "$1" "$2" "$HOOK_VAR" "$(readlink /proc/self/ns/mnt)" "$state" >> ${log}
case "$2" in fail) echo "hook says no" >&2; exit 3;; sleep) sleep 5;; esac
`,
    { mode: 0o755 },
  );
  const records = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as HookRecord) : []);
  return { dir, hook, log, records };
}

const PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

async function bundleWithHooks(h: ReturnType<typeof hookDir>, script: string, edit?: (c: Config) => void): Promise<string> {
  return makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    c.mounts.push({ destination: h.dir, type: 'bind', source: h.dir, options: ['rbind', 'rw'] });
    c.hooks = Object.fromEntries(PHASES.map((p) => [p, [{ path: h.hook, args: ['hook.sh', p, 'ok'], env: ['HOOK_VAR=from-config', 'PATH=/bin:/usr/bin'] }]]));
    edit?.(c);
  });
}

const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');

t.test('create, start, delete: every hook at its moment, in its namespace, with the state on stdin', { skip: rootSkip }, async (t) => {
  const h = hookDir();
  const bundle = await bundleWithHooks(h, 'sleep 0.3');
  const id = uniqueId('hooks');
  const created = cli(['create', '--bundle', bundle, id]);
  if (!t.equal(created.status, 0, `create (stderr: ${created.stderr.trim() || '-'})`)) return;
  const initPid = JSON.parse(cli(['state', id]).stdout).pid as number;
  const initMnt = fs.readlinkSync(`/proc/${initPid}/ns/mnt`);
  t.same(h.records().map((r) => r.phase), ['prestart', 'createRuntime', 'createContainer'], 'create ran prestart, createRuntime, createContainer in order');
  if (!t.equal(cli(['start', id]).status, 0, 'start')) return;
  t.same(h.records().map((r) => r.phase).slice(3), ['startContainer', 'poststart'], 'start ran startContainer, then poststart');
  for (let i = 0; i < 100 && JSON.parse(cli(['state', id]).stdout).status !== 'stopped'; i++) await sleep(50);
  if (!t.equal(cli(['delete', id]).status, 0, 'delete')) return;
  const records = h.records();
  t.same(records.map((r) => r.phase), [...PHASES], 'delete ran poststop');
  const byPhase = Object.fromEntries(records.map((r) => [r.phase, r]));
  const expected: Record<string, [string, string]> = {
    prestart: ['creating', hostMnt],
    createRuntime: ['creating', hostMnt],
    createContainer: ['creating', initMnt],
    startContainer: ['created', initMnt],
    poststart: ['running', hostMnt],
    poststop: ['stopped', hostMnt],
  };
  for (const phase of PHASES) {
    const r = byPhase[phase]!;
    t.equal(r.state.status, expected[phase]![0], `${phase}: state status ${expected[phase]![0]}`);
    t.equal(r.mnt, expected[phase]![1], `${phase}: in the ${expected[phase]![1] === hostMnt ? "runtime's" : "container's"} mount namespace`);
    t.equal(r.state.id, id, `${phase}: the id`);
    t.equal(r.state.bundle, bundle, `${phase}: the bundle`);
    t.equal(r.env, 'from-config', `${phase}: the hook's env`);
    t.equal(r.arg, 'ok', `${phase}: the hook's args`);
    if (phase !== 'poststop') t.equal(r.state.pid, initPid, `${phase}: the init's pid`);
  }
});

t.test('a failing or timed-out create hook fails create and leaves nothing', { skip: rootSkip }, async (t) => {
  for (const [phase, mode] of [['createRuntime', 'fail'], ['createContainer', 'fail'], ['prestart', 'sleep']] as const) {
    const h = hookDir();
    const bundle = await bundleWithHooks(h, 'true', (c) => {
      c.hooks[phase] = [{ path: h.hook, args: ['hook.sh', phase, mode], timeout: 1 }];
    });
    const id = uniqueId('hookfail');
    const r = cli(['create', '--bundle', bundle, id]);
    t.equal(r.status, 1, `create fails when ${phase} hook ${mode}s`);
    t.match(r.stderr, new RegExp(`run ${phase} hook 0 \\(${h.hook}\\): ${mode === 'fail' ? 'exited with 3(: hook says no)?' : 'timed out after 1 s'} \\(config\\.json /hooks/${phase}/0\\)`), 'the error names the hook, what happened and its config path');
    t.notOk(fs.existsSync(path.join(stateRoot, id)), 'no state left');
    t.same(defaultCgroupDirs(id), [], 'no cgroup left');
  }
});

t.test('a failing poststart hook is a warning; the container runs', { skip: rootSkip }, async (t) => {
  const h = hookDir();
  const bundle = await bundleWithHooks(h, 'sleep 0.2', (c) => {
    c.hooks.poststart = [{ path: h.hook, args: ['hook.sh', 'poststart', 'fail'] }];
  });
  const id = uniqueId('hookwarn');
  if (!t.equal(cli(['create', '--bundle', bundle, id]).status, 0, 'create')) return;
  const start = cli(['start', id]);
  t.equal(start.status, 0, 'start succeeds');
  t.match(start.stderr, /warning: run poststart hook 0/, 'with a warning');
  t.equal(cli(['delete', '--force', id]).status, 0, 'delete --force');
});

t.test('foreground run: all six hooks, in order', { skip: rootSkip }, async (t) => {
  const h = hookDir();
  const bundle = await bundleWithHooks(h, 'exit 5');
  const r = cli(['run', '--bundle', bundle, uniqueId('hookrun')]);
  t.equal(r.status, 5, `run exits with the container's code (stderr: ${r.stderr.trim() || '-'})`);
  t.same(h.records().map((x) => x.phase), [...PHASES], 'every hook ran, in lifecycle order');
  t.equal(h.records()[3]!.state.status, 'created', 'startContainer saw "created"');
});

t.test('container-namespace hooks and exec in a container with a user namespace', { skip: rootSkip }, async (t) => {
  const h = hookDir();
  // The rootfs shifted to the mapped range, as images for a user namespace are.
  const rootfs = await privateRootfs('hooks-userns');
  execFileSync('chown', ['-R', '-h', '200000:200000', rootfs]);
  const bundle = await bundleWithHooks(h, 'sleep 2', (c) => {
    c.root.path = rootfs;
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    c.hooks = { createContainer: c.hooks.createContainer, startContainer: c.hooks.startContainer };
  });
  const id = uniqueId('hooks-userns');
  const created = cli(['create', '--bundle', bundle, id]);
  if (!t.equal(created.status, 0, `create (stderr: ${created.stderr.trim() || '-'})`)) return;
  const initPid = JSON.parse(cli(['state', id]).stdout).pid as number;
  t.equal(cli(['start', id]).status, 0, 'start');
  t.same(h.records().map((r) => r.phase), ['createContainer', 'startContainer'], 'both hooks ran');
  for (const r of h.records()) t.equal(r.mnt, fs.readlinkSync(`/proc/${initPid}/ns/mnt`), `${r.phase}: in the container's mount namespace`);
  const e = cli(['exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  t.equal(e.status, 0, `exec (stderr: ${e.stderr.trim() || '-'})`);
  t.match(e.stdout, /^0\n\s+0\s+200000\s+65536$/m, "exec runs as root of the container's user namespace");
  t.equal(cli(['delete', '--force', id]).status, 0, 'delete --force');
});
