// The pure cgroup v2 lane (test/v2-lane/run.sh) checks that it is one: only
// the cgroup2 hierarchy, every v1 controller released to it, and the usual
// controllers available. On any other host (hybrid, legacy, v2 without the
// memory controller) it skips, so it only counts where npm run test:v2 runs it.
import t from 'tap';
import * as fs from 'node:fs';
import { detectMode, hostCgroupLayout } from '../../lib/cgroups/hierarchies';

const ROOT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;

function controllers(): string[] {
  try {
    return fs.readFileSync(`${ROOT}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

function isCgroup2(): boolean {
  try {
    return fs.statfsSync(ROOT).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

const laneSkip: string | false = isCgroup2() && controllers().includes('memory') ? false : 'not a pure cgroup v2 host (run npm run test:v2)';

t.test('pure cgroup v2: one cgroup2 hierarchy with the usual controllers', { skip: laneSkip }, async (t) => {
  t.equal(detectMode(ROOT), 'unified', 'the runtime sees a unified layout');
  const have = controllers();
  for (const c of ['cpuset', 'cpu', 'io', 'memory', 'pids']) t.ok(have.includes(c), `${c} in ${ROOT}/cgroup.controllers (${have.join(' ')})`);

  const fstypes = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' - ')[1]?.split(' ')[0])
    .filter((f) => f === 'cgroup' || f === 'cgroup2');
  t.notOk(fstypes.includes('cgroup'), 'no cgroup v1 hierarchy is mounted');

  const own = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  t.equal(own.length, 1, `/proc/self/cgroup has one line (${own.join(' | ')})`);
  t.match(own[0], /^0::\//, 'and it is the v2 one');

  const layout = hostCgroupLayout();
  t.same(layout.hierarchies.map((h) => [h.mountPoint, h.version]), [[ROOT, 2]], 'the layout parser finds the one v2 hierarchy at the root');

  // /proc/cgroups: hierarchy id 0 is v2 (cgroup_no_v1=all leaves no v1 one)
  const onV1 = fs.readFileSync('/proc/cgroups', 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter(([, hierarchy, , enabled]) => enabled === '1' && hierarchy !== '0')
    .map(([name]) => name);
  t.same(onV1, [], 'no enabled controller sits on a v1 hierarchy');
});
