// A container's place in the cgroup hierarchies (linux.cgroupsPath, the
// default /ociish/<id>, a cgroup namespace), its read-only /sys/fs/cgroup
// view, linux.resources.unified, and the cgroups being gone after the run.
// Checked from inside (/proc/self/cgroup, the view) and on the host (the
// cgroup directories while the container waits at "@@hold", and after).
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectMode } from '../../lib/cgroups';
import { leftoverState, makeBundle, ociish, rootSkip, sections, uniqueId, type Config } from '../helpers/container';
import {
  TEST_CGROUP_PARENT, defaultCgroupDirs, existingCgroupDirs, hierarchyOf, hostDirOf, runHolding, viewDirOf,
} from '../helpers/cgroups';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const MiB = 1024 * 1024;
const mode = detectMode();

/** The "ID:CONTROLLERS" part of each line of the test process's /proc/self/cgroup: one per hierarchy. */
const hostPrefixes = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean).map((l) => l.slice(0, l.lastIndexOf(':')));

/** /proc/PID/cgroup as it reads for a process in cgroup `cgPath` of every hierarchy. */
const procCgroup = (cgPath: string) => hostPrefixes.map((p) => `${p}:${cgPath}`);

/**
 * A bundle running `script`, without a cgroup namespace (the default spec has
 * one on cgroup v2 hosts, as runc's) unless `edit` adds it.
 */
async function bundleWith(script: string, edit: (c: Config) => void): Promise<string> {
  return makeBundle((c) => {
    c.process.args = ['sh', '-c', script];
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
    edit(c);
  });
}

function noCgroupLeft(t: Test, cgPath: string): void {
  t.same(existingCgroupDirs(cgPath), [], `no directory of ${cgPath} is left in any hierarchy`);
}

const readOr = (file: string, dflt: string) => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return dflt;
  }
};

const memFile = hierarchyOf('memory')?.version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
const viewSkip = rootSkip || (!hierarchyOf('memory') || !hierarchyOf('pids') ? 'the host has no memory or no pids cgroup controller' : false);

// ---------------------------------------------------------------------------

t.test('cgroupsPath: the container is in it in every hierarchy; its /sys/fs/cgroup shows only that cgroup, read-only', { skip: viewSkip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('view')}`;
  const mem = viewDirOf('memory');
  const pids = viewDirOf('pids');
  const script = [
    'echo @@cgroup; cat /proc/self/cgroup',
    `echo @@limits; cat ${mem}/${memFile} ${pids}/pids.max`,
    `echo @@procs; cat ${pids}/cgroup.procs`,
    'echo @@entries; ls -1 /sys/fs/cgroup',
    // Sub-cgroups: below the view on v2, below each hierarchy's directory on v1/hybrid.
    `echo @@subdirs; find /sys/fs/cgroup/ -mindepth ${mode === 'unified' ? 1 : 2} -type d`,
    `echo @@readonly; (echo 100 > ${pids}/pids.max) 2>&1; mkdir ${pids}/sub 2>&1; cat ${pids}/pids.max`,
    'echo @@hold; read _',
  ].join('\n');
  const bundle = await bundleWith(script, (c) => {
    c.linux.cgroupsPath = cgPath;
    c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 16 } };
  });
  const host: { dirs: string[]; procs: string[]; initCgroup: string[]; pidsMax: string } = { dirs: [], procs: [], initCgroup: [], pidsMax: '' };
  const r = await runHolding(['run', '--bundle', bundle, uniqueId('view')], () => {
    host.dirs = existingCgroupDirs(cgPath);
    host.procs = host.dirs.map((d) => readOr(path.join(d, 'cgroup.procs'), 'unreadable'));
    host.initCgroup = readOr(`/proc/${host.procs[0]}/cgroup`, '').split('\n');
    host.pidsMax = readOr(path.join(hostDirOf(cgPath, 'pids')!, 'pids.max'), '');
  });
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);

  // Inside: /proc/self/cgroup names the cgroupsPath on every line. On a hybrid
  // host the runtime writes pids into the v1 hierarchies only; the v2 line
  // ("0::") reads the path because the init was cloned into it.
  t.same(s['cgroup'], procCgroup(cgPath), '/proc/self/cgroup: every hierarchy, v1 and v2, reads the cgroupsPath');
  t.same(s['limits'], [String(64 * MiB), '16'], `the view shows the container's own ${memFile} (64 MiB) and pids.max (16)`);
  t.ok(s['procs']?.length === 2 && s['procs'].includes('1'), `cgroup.procs lists the shell (pid 1) and cat, nothing of the host: ${JSON.stringify(s['procs'])}`);
  if (mode === 'unified') {
    t.ok(s['entries']?.includes('cgroup.procs') && s['entries']?.includes('pids.max'), 'cgroup v2: /sys/fs/cgroup is the container\'s own cgroup directory');
  } else {
    t.same(s['entries'], fs.readdirSync('/sys/fs/cgroup').sort(), '/sys/fs/cgroup has an entry per host hierarchy (and the host\'s links)');
  }
  t.same(s['subdirs'] ?? [], [], 'no other cgroup is visible (the host\'s roots have sub-cgroups, the container\'s cgroup has none)');
  t.same(s['readonly'], [
    `sh: can't create ${pids}/pids.max: Read-only file system`,
    `mkdir: can't create directory '${pids}/sub': Read-only file system`,
    '16',
  ], 'writing pids.max and making a sub-cgroup fail with EROFS; pids.max still reads 16');

  // On the host, while it runs.
  t.equal(host.dirs.length, hostPrefixes.length, `a directory in each of the host's ${hostPrefixes.length} hierarchies`);
  t.ok(/^\d+$/.test(host.procs[0] ?? ''), `the container's init is in the first one (cgroup.procs: ${host.procs[0]})`);
  t.same(host.procs, host.dirs.map(() => host.procs[0]), 'every hierarchy\'s cgroup.procs lists exactly the init');
  t.same(host.initCgroup.filter(Boolean), procCgroup(cgPath), 'the host\'s /proc/PID/cgroup of the init names the cgroupsPath everywhere');
  t.equal(host.pidsMax, '16', 'the host\'s pids.max reads 16');
  noCgroupLeft(t, cgPath);
});

t.test('a cgroup namespace: its root is the container\'s cgroup in every hierarchy', { skip: viewSkip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('cgns')}`;
  const pids = viewDirOf('pids');
  const bundle = await bundleWith(`echo @@cgroup; cat /proc/self/cgroup; echo @@pids; cat ${pids}/pids.max; echo @@readonly; (echo 1 > ${pids}/pids.max) 2>&1 || true`, (c) => {
    c.linux.namespaces.push({ type: 'cgroup' });
    c.linux.cgroupsPath = cgPath;
    c.linux.resources = { pids: { limit: 12 } };
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('cgns')]);
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  // Had the namespace been made before the join, its root would be the runtime's cgroup, and the lines would name the cgroupsPath below it.
  t.same(s['cgroup'], procCgroup('/'), 'every line of /proc/self/cgroup reads "/": the process joined its cgroups before the namespace was made');
  t.same(s['pids'], ['12'], 'the view shows the container\'s pids.max');
  t.same(s['readonly'], [`sh: can't create ${pids}/pids.max: Read-only file system`], 'and is read-only');
  noCgroupLeft(t, cgPath);
});

t.test('no cgroupsPath: the container is in /ociish/<id>, which is gone after the run', { skip: rootSkip }, async (t) => {
  const id = uniqueId('dflt');
  const bundle = await bundleWith('echo @@cgroup; cat /proc/self/cgroup; echo @@hold; read _', (c) => {
    delete c.linux.cgroupsPath;
  });
  let during: string[] = [];
  const r = await runHolding(['run', '--bundle', bundle, id], () => {
    during = defaultCgroupDirs(id);
  });
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  t.same(sections(r.stdout)['cgroup'], procCgroup(`/ociish/${id}`), `/proc/self/cgroup reads /ociish/${id} in every hierarchy`);
  t.equal(during.length, hostPrefixes.length, `while it runs, /ociish/${id} exists in each of the ${hostPrefixes.length} hierarchies`);
  t.same(defaultCgroupDirs(id), [], `no /ociish/${id} is left`);
  t.same(leftoverState(), [], 'no state dir is left');
});

t.test('a run that fails after its cgroup was made leaves no cgroup', { skip: rootSkip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('fail')}`;
  const bundle = await makeBundle((c) => {
    c.process.args = ['no-such-command'];
    c.linux.cgroupsPath = cgPath;
    c.linux.resources = { pids: { limit: 10 } };
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('fail')]);
  t.not(r.status, 0, 'ociish run fails');
  t.match(r.stderr, /"no-such-command": executable file not found/, 'and says why');
  noCgroupLeft(t, cgPath);
});

t.test('linux.resources.unified: cgroup v2 files written as given; keys of a v1 controller refused', {
  skip: rootSkip || (!hierarchyOf('cgroup') && 'the host has no cgroup v2 hierarchy'),
}, async (t) => {
  // Key -> [value, what the file reads back]; only keys whose controller is on the v2 hierarchy here.
  const keys: Record<string, [string, string]> = { 'cgroup.max.descendants': ['5', '5'] };
  if (hierarchyOf('memory')?.version === 2) keys['memory.high'] = ['100M', String(100 * MiB)];
  if (hierarchyOf('hugetlb')?.version === 2 && fs.existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB')) keys['hugetlb.2MB.max'] = ['4194304', '4194304'];
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('unified')}`;
  const v2 = viewDirOf('cgroup');
  const bundle = await bundleWith(Object.keys(keys).map((k) => `echo @@${k}; cat ${v2}/${k}`).join('\n'), (c) => {
    c.linux.cgroupsPath = cgPath;
    c.linux.resources = { unified: Object.fromEntries(Object.entries(keys).map(([k, [v]]) => [k, v])) };
  });
  const r = ociish(['run', '--bundle', bundle, uniqueId('unified')]);
  t.equal(r.status, 0, `ociish run exits 0 (stderr: ${r.stderr.trim() || '-'})`);
  const s = sections(r.stdout);
  for (const [k, [v, reads]] of Object.entries(keys)) t.same(s[k], [reads], `${k}: "${v}" is written; it reads ${reads} inside`);
  noCgroupLeft(t, cgPath);

  if (hierarchyOf('memory')?.version !== 1) {
    t.comment('the memory controller is not on a v1 hierarchy here: no v1 key to refuse');
    return;
  }
  const refusedPath = `${TEST_CGROUP_PARENT}/${uniqueId('unified-v1')}`;
  const refused = ociish(['run', '--bundle', await bundleWith('echo ran', (c) => {
    c.linux.cgroupsPath = refusedPath;
    c.linux.resources = { unified: { 'cgroup.max.descendants': '5', 'memory.high': '100M' } };
  }), uniqueId('unified-v1')]);
  t.equal(refused.status, 1, 'memory.high while memory is a v1 controller: ociish run exits 1');
  t.equal(refused.stdout, '', 'the container does not run');
  t.match(refused.stderr, /^ociish: config\.json \/linux\/resources\/unified\/memory\.high: .*memory controller is on a cgroup v1 hierarchy/,
    'the error names /linux/resources/unified/memory.high and why');
  noCgroupLeft(t, refusedPath);
});
