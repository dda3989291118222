// SYNC_HOOKS: the child waits just before pivot_root while the runtime runs
// the hooks that must see the container's namespaces (prestart,
// createRuntime, createContainer); onHooks gets the container process's pid.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlan, type Plan, type Step } from '../../lib/plan';
import { spawnContainer } from '../../lib/runtime/child';
import { loadBundleConfig } from '../../lib/spec';
import { makeBundle, ourChildren, pidNamespaceHolder, rootSkip, tempDir, type Config } from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

interface Setup {
  plan: Plan;
  /** The host dir bound at the container's /tmp. */
  tmp: string;
  rootfs: string;
}

async function planWithHooks(edit: (c: Config) => void = () => {}): Promise<Setup> {
  const tmp = tempDir('hooks-tmp');
  let rootfs = '';
  const bundle = await makeBundle((c, r) => {
    rootfs = r;
    c.process.args = ['sh', '-c', 'echo $$ > /tmp/ran'];
    c.mounts.push({ destination: '/tmp', type: 'bind', source: tmp, options: ['rbind', 'rw'] });
    edit(c);
  });
  return { plan: buildPlan(loadBundleConfig(bundle), { bundle, hooks: true }), tmp, rootfs };
}

const children = ourChildren;

// ---------------------------------------------------------------------------

t.test('onHooks runs before pivot_root, with the container\'s pid', { skip: rootSkip }, async (t) => {
  const setup = await planWithHooks();
  const kinds = setup.plan.steps.map((s) => s.kind);
  t.equal(kinds[kinds.indexOf('PIVOT_ROOT') - 1], 'SYNC_HOOKS', 'the step right before PIVOT_ROOT');
  // A file only the host's root shows: the container's root is the rootfs.
  const hostOnly = path.join(tempDir('hooks-host'), 'host-only');
  fs.writeFileSync(hostOnly, '');
  let seen: Record<string, unknown> | null = null;
  const container = await spawnContainer(setup.plan, {
    onHooks: async (pid) => {
      await new Promise((r) => setTimeout(r, 20)); // the child waits for a promise too
      seen = {
        pid,
        hostRoot: fs.existsSync(`/proc/${pid}/root${hostOnly}`),
        ownMountNs: fs.readlinkSync(`/proc/${pid}/ns/mnt`) !== fs.readlinkSync('/proc/self/ns/mnt'),
        rootfsMounted: fs.existsSync(`/proc/${pid}/root${setup.rootfs}/bin/busybox`),
        ran: fs.existsSync(path.join(setup.tmp, 'ran')),
      };
    },
  });
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
  t.same(seen, { pid: container.pid, hostRoot: true, ownMountNs: true, rootfsMounted: true, ran: false }, 'the host\'s root, in the container\'s mount namespace, before the process ran');
  t.notOk(fs.existsSync(`/proc/${container.pid}`), 'reaped');
  t.equal(fs.readFileSync(path.join(setup.tmp, 'ran'), 'utf8'), '1\n', 'then the container ran');
});

t.test('no onHooks: the child goes on', { skip: rootSkip }, async (t) => {
  const setup = await planWithHooks();
  const container = await spawnContainer(setup.plan);
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
});

t.test('a throwing onHooks fails the spawn with nothing left behind', { skip: rootSkip }, async (t) => {
  const setup = await planWithHooks();
  const before = children();
  const boom = Object.assign(new Error('prestart hook failed'), { errno: 22 });
  let hookedPid = 0;
  await t.rejects(spawnContainer(setup.plan, { onHooks: (pid) => { hookedPid = pid; throw boom; } }), boom);
  t.ok(hookedPid > 0, 'the hook ran');
  t.notOk(fs.existsSync(`/proc/${hookedPid}`), 'the child is gone (reaped)');
  t.notOk(fs.existsSync(path.join(setup.tmp, 'ran')), 'the container process never ran');
  t.same(children(), before, 'no child process left');
});

t.test('in a FORK_INIT plan the pid is the init\'s', { skip: rootSkip }, async (t) => {
  const sleeper = await pidNamespaceHolder(t);
  if (!t.ok(sleeper, 'a sleep in a pid namespace of its own')) return;
  const setup = await planWithHooks((c) => {
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${sleeper}/ns/pid` } : n));
  });
  t.ok(setup.plan.steps.some((s) => s.kind === 'FORK_INIT'), 'the plan clones an init');
  // Moved right after FORK_INIT, the init's HOOKS message often beats its
  // parent's PID message.
  const steps: Step[] = setup.plan.steps.filter((s) => s.kind !== 'SYNC_HOOKS');
  steps.splice(steps.findIndex((s) => s.kind === 'FORK_INIT') + 1, 0, { kind: 'SYNC_HOOKS', origin: '/hooks' });
  for (const [at, plan] of [['before PIVOT_ROOT', setup.plan], ['right after FORK_INIT', { ...setup.plan, steps }]] as const) {
    for (let round = 0; round < 10; round++) {
      let pid = 0;
      const container = await spawnContainer(plan, { onHooks: (p) => void (pid = p) });
      t.equal(pid, container.pid, `${at}, round ${round}: the init's pid`);
      t.same(await container.exited, { pid: container.pid, exitCode: 0 });
    }
  }
});
