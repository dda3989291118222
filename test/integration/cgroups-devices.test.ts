// The device allowlist of a container's cgroup (linux.resources.devices, the
// devices of linux.devices and the defaults every container gets), seen from
// inside: the container makes device nodes with mknod (allowed for all, as
// runc) and opens them. The witness devices are char major 60, a number
// reserved for local use that no driver has: an open the cgroup allows fails
// with ENXIO ("No such device or address"), one it denies with EPERM
// ("Operation not permitted"), whatever the host's drivers.
import t from 'tap';
import * as fs from 'node:fs';
import { ranOk, rootSkip, runScript, sections, uniqueId, type Config } from '../helpers/container';
import { TEST_CGROUP_PARENT, existingCgroupDirs } from '../helpers/cgroups';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const ALLOWED = 'No such device or address';
const DENIED = 'Operation not permitted';

const major60Free = !/^\s*60 /m.test(fs.readFileSync('/proc/devices', 'utf8').split('Block devices:')[0]!);
const skip = rootSkip || (!major60Free && 'char major 60 has a driver on this host: no driverless witness device');

/** /dev/fuse (c 10:229) on the host, to give to a container by linux.devices. */
const hostFuse = (() => {
  try {
    const st = fs.statSync('/dev/fuse');
    return st.isCharacterDevice() && st.rdev === ((10 << 8) | 229);
  } catch {
    return false;
  }
})();

/** `probe r|w PATH` prints "PATH r|w ok" or "PATH r|w <error>" for an open for reading or writing. */
const PROBE = [
  'probe() {',
  '  if [ "$1" = r ]; then err=$( (: < "$2") 2>&1 ); else err=$( (: > "$2") 2>&1 ); fi',
  '  if [ -z "$err" ]; then err=ok; else err=${err##*: }; fi',
  '  echo "$2 $1 $err"',
  '}',
].join('\n');

/** Makes /dev/t-60-0 .. /dev/t-60-N (c 60:0..N) and prints "@@mknod" then "ok". */
const mknod60 = (n: number) => `echo @@mknod; for m in $(seq 0 ${n}); do mknod /dev/t-60-$m c 60 $m || exit 1; done && echo ok`;

/** The default config with CAP_MKNOD, in cgroup `cgPath`. */
function withMknod(cgPath: string, edit: (c: Config) => void = () => {}) {
  return (c: Config) => {
    for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_MKNOD');
    c.linux.cgroupsPath = cgPath;
    edit(c);
  };
}

// ---------------------------------------------------------------------------

t.test('default allowlist: the default devices open; mknod works for any node, but opening others fails with EPERM', { skip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('devdefault')}`;
  const script = [
    PROBE,
    mknod60(0),
    'mknod /dev/t-sda b 8 0 && echo ok',
    'mknod /dev/t-fuse c 10 229 && echo ok',
    'echo @@probe',
    'for d in /dev/null /dev/zero /dev/full /dev/random /dev/urandom; do probe r $d; done',
    'probe w /dev/null; probe r /dev/t-sda; probe r /dev/t-60-0; probe w /dev/t-60-0; probe r /dev/t-fuse',
  ].join('\n');
  const r = await runScript(script, withMknod(cgPath));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['mknod'], ['ok', 'ok', 'ok'], 'mknod of c 60:0, b 8:0 and c 10:229 succeeds (every container may mknod, as runc)');
  t.same(s['probe'], [
    '/dev/null r ok', '/dev/zero r ok', '/dev/full r ok', '/dev/random r ok', '/dev/urandom r ok', '/dev/null w ok',
    `/dev/t-sda r ${DENIED}`, `/dev/t-60-0 r ${DENIED}`, `/dev/t-60-0 w ${DENIED}`, `/dev/t-fuse r ${DENIED}`,
  ], 'null, zero, full, random and urandom open; b 8:0, c 60:0 and c 10:229 are refused by the cgroup');
  t.same(existingCgroupDirs(cgPath), [], 'no cgroup directory is left');
});

t.test('resources.devices: allow with an access subset, a later deny, and defaults after the config\'s rules; linux.devices allowed', { skip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('devrules')}`;
  const script = [
    PROBE,
    mknod60(3),
    'echo @@probe',
    'for m in 0 1 2 3; do probe r /dev/t-60-$m; probe w /dev/t-60-$m; done',
    'probe r /dev/zero',
    ...(hostFuse ? ['echo @@fuse; err=$( (exec 3<>/dev/fuse) 2>&1 ); echo "${err:-ok}"'] : []),
  ].join('\n');
  const r = await runScript(script, withMknod(cgPath, (c) => {
    c.linux.resources = {
      devices: [
        { allow: true, type: 'c', major: 60, minor: 0, access: 'rwm' },
        { allow: true, type: 'c', major: 60, minor: 1, access: 'r' },
        { allow: true, type: 'c', major: 60, minor: 2, access: 'rwm' },
        { allow: false, type: 'c', major: 60, minor: 2, access: 'w' },
        // A default device: the defaults come after the config's rules (as runc), so this does not take /dev/zero away.
        { allow: false, type: 'c', major: 1, minor: 5, access: 'rwm' },
      ],
    };
    if (hostFuse) c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666 }];
  }));
  if (!ranOk(t, r)) return;
  const s = sections(r.stdout);
  t.same(s['mknod'], ['ok'], 'mknod of c 60:0..3 succeeds');
  t.same(s['probe'], [
    `/dev/t-60-0 r ${ALLOWED}`, `/dev/t-60-0 w ${ALLOWED}`,
    `/dev/t-60-1 r ${ALLOWED}`, `/dev/t-60-1 w ${DENIED}`,
    `/dev/t-60-2 r ${ALLOWED}`, `/dev/t-60-2 w ${DENIED}`,
    `/dev/t-60-3 r ${DENIED}`, `/dev/t-60-3 w ${DENIED}`,
    '/dev/zero r ok',
  ], '60:0 rwm opens both ways; 60:1 "r" only for reading; 60:2 loses "w" to the later deny; 60:3 has no rule; /dev/zero stays allowed');
  if (hostFuse) t.same(s['fuse'], ['ok'], '/dev/fuse from linux.devices opens for reading and writing');
  else t.comment('the host has no /dev/fuse: linux.devices not checked');
  t.same(existingCgroupDirs(cgPath), [], 'no cgroup directory is left');
});

// The last matching rule wins (lib/cgroups/device-rules.ts). The v1 devices
// controller cannot take a single device out of a wildcard exception: a
// runtime must then refuse the rules (runc: "cannot punch hole in existing
// wildcard rule"), never let the device through.
t.test('resources.devices: a deny after a wildcard allow is honoured, or the run is refused', { skip }, async (t) => {
  const cgPath = `${TEST_CGROUP_PARENT}/${uniqueId('devhole')}`;
  const r = await runScript([PROBE, mknod60(1), 'echo @@probe', 'probe r /dev/t-60-0; probe r /dev/t-60-1'].join('\n'), withMknod(cgPath, (c) => {
    c.linux.resources = {
      devices: [
        { allow: true, type: 'c', major: 60, access: 'rwm' },
        { allow: false, type: 'c', major: 60, minor: 1, access: 'rwm' },
      ],
    };
  }));
  if (r.status === 0) {
    t.same(sections(r.stdout)['probe'], [`/dev/t-60-0 r ${ALLOWED}`, `/dev/t-60-1 r ${DENIED}`], 'c 60:* is allowed except 60:1, denied by the later rule');
  } else {
    t.equal(r.stdout, '', 'the container does not run');
    t.match(r.stderr, /^ociish: .*\/linux\/resources\/devices\/1\b/, `refused, naming /linux/resources/devices/1 (stderr: ${r.stderr.trim()})`);
  }
  t.same(existingCgroupDirs(cgPath), [], 'no cgroup directory is left');
});
