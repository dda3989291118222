// Cgroup delegation (config-linux.md): on a pure cgroup v2 host, a container
// with its own user and cgroup namespaces and a writable /sys/fs/cgroup owns
// its cgroup, so it can make and use sub-cgroups. Without one of the three,
// the cgroup stays root's.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { detectMode } from '../../lib/cgroups';
import { privateRootfs, ranOk, rootSkip, runScript, sections, uniqueId, type Config } from '../helpers/container';
import { TEST_CGROUP_PARENT, existingCgroupDirs } from '../helpers/cgroups';

const notV2 = detectMode() === 'unified' ? false : 'delegation is for pure cgroup v2 hosts (run npm run test:v2)';

const SCRIPT = [
  'echo "@@owner"; stat -c "%u %g" /sys/fs/cgroup /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/cgroup.subtree_control',
  'echo "@@mkdir"; mkdir /sys/fs/cgroup/sub && echo made',
  'echo "@@move"; echo $$ > /sys/fs/cgroup/sub/cgroup.procs && cat /proc/self/cgroup',
  'true', // the run succeeds either way; the sections tell what worked
].join('\n');

async function run(edit: (c: Config) => void): Promise<{ r: Awaited<ReturnType<typeof runScript>>; cgPath: string }> {
  const rootfs = await privateRootfs('delegroot');
  execFileSync('chown', ['-R', '-h', '100000:100000', rootfs]);
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('deleg')}`;
  const r = await runScript(SCRIPT, (c) => {
    c.root.path = rootfs;
    c.linux.cgroupsPath = cgPath;
    c.linux.namespaces.push({ type: 'user' });
    if (!c.linux.namespaces.some((n: { type: string }) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
    c.linux.uidMappings = map;
    c.linux.gidMappings = map;
    edit(c);
  });
  return { r, cgPath };
}

const cgroupMount = (c: Config) => c.mounts.find((m: { destination: string }) => m.destination === '/sys/fs/cgroup');

t.test('a writable cgroup mount with user and cgroup namespaces: the container owns its cgroup', { skip: rootSkip || notV2 }, async (t) => {
  const { r, cgPath } = await run((c) => {
    const m = cgroupMount(c);
    m.options = m.options.filter((o: string) => o !== 'ro');
  });
  if (ranOk(t, r)) {
    const s = sections(r.stdout);
    t.same(s['owner'], ['0 0', '0 0', '0 0'], 'the directory and its delegatable files belong to the container root');
    t.same(s['mkdir'], ['made'], 'it makes a sub-cgroup');
    t.same(s['move'], ['0::/sub'], 'and moves a process into it');
  }
  t.same(existingCgroupDirs(cgPath), [], 'the cgroup and the sub-cgroup the container made are removed');
});

t.test('a read-only cgroup mount: no delegation', { skip: rootSkip || notV2 }, async (t) => {
  const { r, cgPath } = await run(() => {});
  if (ranOk(t, r)) {
    const s = sections(r.stdout);
    t.same(s['owner'], ['65534 65534', '65534 65534', '65534 65534'], 'host root owns the cgroup (unmapped in the container)');
    t.same(s['mkdir'], [], 'no sub-cgroup can be made');
  }
  t.same(existingCgroupDirs(cgPath), []);
});
