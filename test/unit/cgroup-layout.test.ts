// The host's cgroup hierarchies as read from mountinfo and /proc/self/cgroup.
import t from 'tap';
import { parseCgroupLayout } from '../../lib/cgroups/hierarchies';

// A systemd hybrid host: the name=systemd hierarchy carries xattr, cpu and
// cpuacct are co-mounted, and cgroup2 sits at unified with nsdelegate.
const MOUNTINFO = [
  '25 30 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  '28 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct',
  '29 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory,clone_children',
  '30 1 0:27 / /mnt/elsewhere rw - cgroup cgroup rw,pids',
].join('\n');

const PROC_CGROUP = ['4:memory:/user.slice', '3:cpu,cpuacct:/user.slice', '1:name=systemd:/user.slice/session-1.scope', '0::/user.slice/session-1.scope', '2:pids:/'].join('\n');

t.test('hybrid layout: every hierarchy under the root, whatever other super options it has', async (t) => {
  const layout = parseCgroupLayout('hybrid', '/sys/fs/cgroup', MOUNTINFO, PROC_CGROUP);
  t.same(
    layout.hierarchies.map((h) => [h.mountPoint, h.version, h.controllers.join(','), h.ownPath]),
    [
      ['/sys/fs/cgroup/unified', 2, '', '/user.slice/session-1.scope'],
      ['/sys/fs/cgroup/systemd', 1, 'name=systemd', '/user.slice/session-1.scope'],
      ['/sys/fs/cgroup/cpu,cpuacct', 1, 'cpu,cpuacct', '/user.slice'],
      ['/sys/fs/cgroup/memory', 1, 'memory', '/user.slice'],
    ],
    'xattr and clone_children are not controllers; a hierarchy outside the root is left out',
  );
});

t.test('mountinfo octal escapes in mount points are decoded', async (t) => {
  const info = '40 25 0:30 / /sys/fs/cgroup/net_cls,net\\040prio rw - cgroup cgroup rw,net_cls';
  const layout = parseCgroupLayout('legacy', '/sys/fs/cgroup', info, '5:net_cls:/x');
  t.same(layout.hierarchies.map((h) => h.mountPoint), ['/sys/fs/cgroup/net_cls,net prio']);
});
