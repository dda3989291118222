// linux.resources as real limits: each container runs under a cgroupsPath of
// this test process, reads its limits from its /sys/fs/cgroup view, runs into
// them (OOM kill, failed fork, throttling, a cpu set), and the host's cgroup
// files are read while it runs and after it is gone. The file names follow
// the hierarchy each controller is on, so the tests run on cgroup v2 hosts
// and on v1/hybrid hosts alike.
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, rootSkip, sections, uniqueId, type Config } from '../helpers/container';
import { TEST_CGROUP_PARENT, existingCgroupDirs, hierarchyOf, hostDirOf, runHolding, viewDirOf } from '../helpers/cgroups';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const MiB = 1024 * 1024;

/** Why a test cannot run here: not root, or the host lacks one of `controllers`. */
function needs(...controllers: string[]): string | false {
  if (rootSkip) return rootSkip;
  const missing = controllers.filter((c) => !hierarchyOf(c));
  return missing.length ? `the host has no ${missing.join(', ')} cgroup controller` : false;
}

/** A bundle running `script` in cgroup `cgPath` with `resources`; `ociish run` it, holding at "@@hold". */
async function runLimited(cgPath: string, script: string, resources: Config, whileHeld: () => void = () => {}) {
  const bundle = await makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    c.linux.cgroupsPath = cgPath;
    c.linux.resources = resources;
  });
  return runHolding(['run', '--bundle', bundle, uniqueId('lim')], whileHeld);
}

function readHost(cgPath: string, controller: string, file: string): string {
  return fs.readFileSync(path.join(hostDirOf(cgPath, controller)!, file), 'utf8').trim();
}

function noCgroupLeft(t: Test, cgPath: string): void {
  t.same(existingCgroupDirs(cgPath), [], `no directory of ${cgPath} is left in any hierarchy`);
}

// ---------------------------------------------------------------------------

t.test('memory: 32 MiB without swap; a process allocating past it is OOM-killed', { skip: needs('memory') }, async (t) => {
  const v2 = hierarchyOf('memory')!.version === 2;
  const dir = viewDirOf('memory');
  const [limitFile, swapFile, oomFile] = v2
    ? ['memory.max', 'memory.swap.max', 'memory.events']
    : ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.oom_control'];
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('mem')}`;
  // dd reads /dev/zero into one buffer of bs bytes: every page of it is touched.
  const script = [
    `echo @@limit; cat ${dir}/${limitFile}`,
    `echo @@swap; cat ${dir}/${swapFile}`,
    'echo @@small; dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo $?',
    'echo @@big; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $?',
    `echo @@oom; grep '^oom_kill ' ${dir}/${oomFile}`,
    'echo @@hold; read _',
    // Now the container's init itself goes past the limit.
    'exec dd if=/dev/zero of=/dev/null bs=64M count=1',
  ].join('\n');
  let hostLimit = '';
  const r = await runLimited(cgPath, script, { memory: { limit: 32 * MiB, swap: 32 * MiB } }, () => {
    hostLimit = readHost(cgPath, 'memory', limitFile);
  });
  t.equal(r.status, 137, `ociish run exits 137: the init was OOM-killed (SIGKILL) (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  t.same(s['limit'], [String(32 * MiB)], `${limitFile} inside reads 33554432`);
  t.same(s['swap'], [v2 ? '0' : String(32 * MiB)], v2 ? 'memory.swap.max reads 0 (swap = limit: no swap)' : 'memory.memsw.limit_in_bytes reads the limit: no swap');
  t.same(s['small'], ['0'], 'an 8 MiB buffer fits');
  t.same(s['big'], ['137'], 'a 64 MiB buffer: the process is killed by SIGKILL (137)');
  t.same(s['oom'], ['oom_kill 1'], `${oomFile} counts one OOM kill`);
  t.equal(hostLimit, String(32 * MiB), `the host's ${limitFile} of the container's cgroup reads 33554432 while it runs`);
  noCgroupLeft(t, cgPath);
});

t.test('pids: 8 processes at most; the next fork fails', { skip: needs('pids') }, async (t) => {
  const dir = viewDirOf('pids');
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('pids')}`;
  // The shell and its subshell count: 6 sleeps fit, the 7th fork fails and ends the subshell.
  const script = [
    `echo @@max; cat ${dir}/pids.max`,
    'echo @@fork; (i=0; while [ $i -lt 20 ]; do sleep 60 & i=$((i+1)); echo "started $i"; done) >/dev/shm/fork 2>&1; cat /dev/shm/fork',
    `echo @@events; cat ${dir}/pids.events`,
    'echo @@hold; read _',
  ].join('\n');
  let host = { max: '', current: '' };
  const r = await runLimited(cgPath, script, { pids: { limit: 8 } }, () => {
    host = { max: readHost(cgPath, 'pids', 'pids.max'), current: readHost(cgPath, 'pids', 'pids.current') };
  });
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  t.same(s['max'], ['8'], 'pids.max inside reads 8');
  t.same(s['fork'], [1, 2, 3, 4, 5, 6].map((i) => `started ${i}`).concat("sh: can't fork: Resource temporarily unavailable"),
    'with the shell and its subshell, 6 more processes start; the next fork fails with EAGAIN');
  t.match((s['events'] ?? []).join('\n'), /^max [1-9]\d*$/m, 'pids.events counts the refused forks');
  t.same(host, { max: '8', current: '7' }, 'on the host, while it runs: pids.max 8, pids.current 7 (the shell and 6 sleeps)');
  noCgroupLeft(t, cgPath);
});

t.test('cpu: a 10% quota throttles a busy loop; cpus "0" pins the container to cpu 0', { skip: needs('cpu', 'cpuset') }, async (t) => {
  const cpuV2 = hierarchyOf('cpu')!.version === 2;
  const cpu = viewDirOf('cpu');
  const cpuset = viewDirOf('cpuset');
  // Cpu time used, in µs: v2 has it in cpu.stat, v1 in cpuacct.usage (ns).
  const usage = cpuV2 ? `sed -n 's/^usage_usec //p' ${cpu}/cpu.stat` : hierarchyOf('cpuacct') ? `echo $(($(cat ${viewDirOf('cpuacct')}/cpuacct.usage) / 1000))` : 'echo none';
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('cpu')}`;
  const script = [
    "echo @@allowed; sed -n 's/^Cpus_allowed_list:\\t//p' /proc/self/status",
    `echo @@cpuset; cat ${cpuset}/cpuset.cpus`,
    `echo @@quota; ${cpuV2 ? `cat ${cpu}/cpu.max` : `echo $(cat ${cpu}/cpu.cfs_quota_us ${cpu}/cpu.cfs_period_us)`}`,
    'read start _ < /proc/uptime',
    '{ timeout 1 yes >/dev/null; } 2>/dev/null',
    'read end _ < /proc/uptime',
    'echo @@wall; echo "$start $end"',
    `echo @@usage; ${usage}`,
    `echo @@stat; cat ${cpu}/cpu.stat`,
  ].join('\n');
  const r = await runLimited(cgPath, script, { cpu: { quota: 10000, period: 100000, cpus: '0' } });
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  t.same(s['allowed'], ['0'], 'Cpus_allowed_list in /proc/self/status is 0');
  t.same(s['cpuset'], ['0'], 'cpuset.cpus inside reads 0');
  t.same(s['quota'], ['10000 100000'], cpuV2 ? 'cpu.max reads "10000 100000"' : 'cpu.cfs_quota_us 10000, cpu.cfs_period_us 100000');
  const [start, end] = (s['wall']?.[0] ?? '').split(' ').map(Number);
  const wall = end! - start!;
  t.ok(wall >= 0.9, `the busy loop ran for about 1 s (${wall.toFixed(2)} s)`);
  if (s['usage']?.[0] === 'none') {
    t.comment('no cpu time figure here (no cpuacct controller): usage not checked');
  } else {
    const used = Number(s['usage']?.[0]) / 1e6;
    t.ok(used > 0 && used < wall / 2, `the container used ${used.toFixed(3)} s of cpu in ${wall.toFixed(2)} s (a busy loop alone would use all of it)`);
  }
  const throttled = /^nr_throttled (\d+)$/m.exec((s['stat'] ?? []).join('\n'));
  if (!throttled) {
    t.comment(`cpu.stat has no nr_throttled here (kernel without CFS bandwidth statistics): ${JSON.stringify(s['stat'])}`);
  } else {
    t.ok(Number(throttled[1]) > 0, `cpu.stat: nr_throttled ${throttled[1]} > 0`);
  }
  noCgroupLeft(t, cgPath);
});

const HUGE_2MB = '/sys/kernel/mm/hugepages/hugepages-2048kB';

t.test('hugepageLimits: 2MB pages limited to 8 MiB, reservations too', { skip: needs('hugetlb') || (!fs.existsSync(HUGE_2MB) && 'the kernel has no 2MB huge pages') }, async (t) => {
  const v2 = hierarchyOf('hugetlb')!.version === 2;
  const dir = viewDirOf('hugetlb');
  const [maxFile, rsvdFile] = v2 ? ['hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max'] : ['hugetlb.2MB.limit_in_bytes', 'hugetlb.2MB.rsvd.limit_in_bytes'];
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('huge')}`;
  const script = [
    `echo @@max; cat ${dir}/${maxFile}`,
    `echo @@rsvd; cat ${dir}/${rsvdFile} 2>/dev/null || echo absent`,
    'echo @@hold; read _',
  ].join('\n');
  let hostMax = '';
  const r = await runLimited(cgPath, script, { hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 * MiB }] }, () => {
    hostMax = readHost(cgPath, 'hugetlb', maxFile);
  });
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  t.same(s['max'], ['8388608'], `${maxFile} inside reads 8388608`);
  t.equal(hostMax, '8388608', `the host's ${maxFile} of the container's cgroup reads 8388608 while it runs`);
  if (s['rsvd']?.[0] === 'absent') t.comment(`${rsvdFile} does not exist on this kernel (before 5.7): not checked`);
  else t.same(s['rsvd'], ['8388608'], `${rsvdFile} inside reads 8388608 too`);
  noCgroupLeft(t, cgPath);
});
