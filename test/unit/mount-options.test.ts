// lib/plan/mount-options: every option string of the spec's mount option
// table (runtime-spec config.md "Mounts"; SPEC-CHECKLIST rows 23-27) mapped
// to mount(2) flags, a propagation type or mount_setattr attributes. The
// expected values here are written from the spec and mount(8)/mount_setattr(2),
// not copied from the implementation's tables.
import t from 'tap';
import { constants } from '../../lib/native';
import { parseMountOptions, type MountOptions } from '../../lib/plan/mount-options';
import { configError } from '../helpers/errors';

const M = constants.mount;
const POINTER = '/mounts/3';
const ATIME_MASK = M.MOUNT_ATTR__ATIME;

const parse = (options: string[], type: string | undefined = 'tmpfs'): MountOptions => parseMountOptions(options, type, POINTER);

const NONE: MountOptions = { bind: false, recursive: false, flags: 0, propagation: 0, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0, data: '', copyUp: false };
const BIND: MountOptions = { ...NONE, bind: true, flags: M.MS_BIND };
const RBIND: MountOptions = { ...NONE, bind: true, recursive: true, flags: M.MS_BIND | M.MS_REC };

/** [option that sets, option that clears (or null), mount(2) flag] */
const FLAG_OPTIONS: [string, string | null, number][] = [
  ['ro', 'rw', M.MS_RDONLY],
  ['nosuid', 'suid', M.MS_NOSUID],
  ['nodev', 'dev', M.MS_NODEV],
  ['noexec', 'exec', M.MS_NOEXEC],
  ['sync', 'async', M.MS_SYNCHRONOUS],
  ['dirsync', null, M.MS_DIRSYNC],
  ['remount', null, M.MS_REMOUNT],
  ['mand', 'nomand', M.MS_MANDLOCK],
  ['noatime', 'atime', M.MS_NOATIME],
  ['nodiratime', 'diratime', M.MS_NODIRATIME],
  ['relatime', 'norelatime', M.MS_RELATIME],
  ['strictatime', 'nostrictatime', M.MS_STRICTATIME],
  ['lazytime', 'nolazytime', M.MS_LAZYTIME],
  ['iversion', 'noiversion', M.MS_I_VERSION],
  ['silent', 'loud', M.MS_SILENT],
  ['nosymfollow', 'symfollow', M.MS_NOSYMFOLLOW],
];

t.test('flag options of a filesystem mount set and clear mount(2) flags', async (t) => {
  for (const [set, clear, flag] of FLAG_OPTIONS) {
    t.same(parse([set]), { ...NONE, flags: flag }, set);
    if (clear === null) continue;
    t.same(parse([clear]), NONE, clear);
    t.same(parse([set, clear]), NONE, `${set},${clear}: the last one wins`);
    t.same(parse([clear, set]), { ...NONE, flags: flag }, `${clear},${set}: the last one wins`);
  }
  t.same(parse(['defaults']), NONE, 'defaults changes nothing');
  t.same(parse(['ro', 'defaults']), { ...NONE, flags: M.MS_RDONLY }, 'defaults keeps what came before');
  t.same(parse([]), NONE, 'no options');
  t.same(
    parse(['nosuid', 'noexec', 'nodev', 'ro', 'relatime']),
    { ...NONE, flags: M.MS_NOSUID | M.MS_NOEXEC | M.MS_NODEV | M.MS_RDONLY | M.MS_RELATIME },
    'flags combine',
  );
});

t.test('unknown options of a filesystem mount are its data, in order, joined with commas', async (t) => {
  t.same(parse(['nosuid', 'strictatime', 'mode=755', 'size=65536k']), { ...NONE, flags: M.MS_NOSUID | M.MS_STRICTATIME, data: 'mode=755,size=65536k' });
  t.same(parse(['newinstance', 'nosuid', 'ptmxmode=0666', 'mode=0620', 'gid=5'], 'devpts'), {
    ...NONE,
    flags: M.MS_NOSUID,
    data: 'newinstance,ptmxmode=0666,mode=0620,gid=5',
  });
  t.same(parse(['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w'], 'overlay').data, 'lowerdir=/a:/b,upperdir=/u,workdir=/w');
  t.same(parse(['rfoo']).data, 'rfoo', 'an r-prefixed unknown option is data too');
});

t.test('propagation options', async (t) => {
  const table: [string, number][] = [
    ['private', M.MS_PRIVATE],
    ['rprivate', M.MS_PRIVATE | M.MS_REC],
    ['shared', M.MS_SHARED],
    ['rshared', M.MS_SHARED | M.MS_REC],
    ['slave', M.MS_SLAVE],
    ['rslave', M.MS_SLAVE | M.MS_REC],
    ['unbindable', M.MS_UNBINDABLE],
    ['runbindable', M.MS_UNBINDABLE | M.MS_REC],
  ];
  for (const [option, propagation] of table) {
    t.same(parse([option]), { ...NONE, propagation }, option);
    t.same(parse(['rbind', option], 'none'), { ...RBIND, propagation }, `rbind,${option}`);
    t.same(parse(['bind', option], 'none'), { ...BIND, propagation }, `bind,${option}`);
  }
  t.equal(parse(['rshared', 'rprivate']).propagation, M.MS_PRIVATE | M.MS_REC, 'the last one wins');
});

/** [option, attr_set, attr_clr] of the recursive r* forms (mount_setattr AT_RECURSIVE). */
const RECURSIVE: [string, number, number][] = [
  ['rro', M.MOUNT_ATTR_RDONLY, 0],
  ['rrw', 0, M.MOUNT_ATTR_RDONLY],
  ['rnosuid', M.MOUNT_ATTR_NOSUID, 0],
  ['rsuid', 0, M.MOUNT_ATTR_NOSUID],
  ['rnodev', M.MOUNT_ATTR_NODEV, 0],
  ['rdev', 0, M.MOUNT_ATTR_NODEV],
  ['rnoexec', M.MOUNT_ATTR_NOEXEC, 0],
  ['rexec', 0, M.MOUNT_ATTR_NOEXEC],
  ['rnodiratime', M.MOUNT_ATTR_NODIRATIME, 0],
  ['rdiratime', 0, M.MOUNT_ATTR_NODIRATIME],
  ['rnosymfollow', M.MOUNT_ATTR_NOSYMFOLLOW, 0],
  ['rsymfollow', 0, M.MOUNT_ATTR_NOSYMFOLLOW],
  // The atime modes are an enum, not bits: mount_setattr(2) wants the new
  // mode in attr_set and all of MOUNT_ATTR__ATIME in attr_clr.
  ['rnoatime', M.MOUNT_ATTR_NOATIME, ATIME_MASK],
  ['rstrictatime', M.MOUNT_ATTR_STRICTATIME, ATIME_MASK],
  ['rrelatime', M.MOUNT_ATTR_RELATIME, ATIME_MASK],
  ['ratime', M.MOUNT_ATTR_RELATIME, ATIME_MASK], // back to the default mode
  ['rnorelatime', M.MOUNT_ATTR_STRICTATIME, ATIME_MASK],
  ['rnostrictatime', M.MOUNT_ATTR_RELATIME, ATIME_MASK],
];

t.test('recursive r* options become recursive mount_setattr attributes', async (t) => {
  for (const [option, recAttrSet, recAttrClr] of RECURSIVE) {
    t.same(parse(['rbind', option], 'none'), { ...RBIND, recAttrSet, recAttrClr }, `rbind,${option}`);
    t.same(parse([option]), { ...NONE, recAttrSet, recAttrClr }, `${option} on a filesystem mount`);
  }
  t.same(parse(['rbind', 'rro', 'rrw'], 'none'), { ...RBIND, recAttrSet: 0, recAttrClr: M.MOUNT_ATTR_RDONLY }, 'rro,rrw');
  t.same(parse(['rbind', 'rrw', 'rro'], 'none'), { ...RBIND, recAttrSet: M.MOUNT_ATTR_RDONLY, recAttrClr: 0 }, 'rrw,rro');
  t.same(
    parse(['rbind', 'rnoatime', 'rstrictatime'], 'none'),
    { ...RBIND, recAttrSet: M.MOUNT_ATTR_STRICTATIME, recAttrClr: ATIME_MASK },
    'one atime mode: the last',
  );
  t.same(
    parse(['rbind', 'rro', 'rnosuid', 'rnodev', 'rnoexec', 'rnoatime'], 'none'),
    {
      ...RBIND,
      recAttrSet: M.MOUNT_ATTR_RDONLY | M.MOUNT_ATTR_NOSUID | M.MOUNT_ATTR_NODEV | M.MOUNT_ATTR_NOEXEC | M.MOUNT_ATTR_NOATIME,
      recAttrClr: ATIME_MASK,
    },
    'attributes combine',
  );
  // Every atime attr_set must be a single mode with the whole mask cleared.
  for (const [option] of RECURSIVE) {
    const o = parse(['rbind', option], 'none');
    if (o.recAttrClr & ATIME_MASK) t.equal(o.recAttrClr & ATIME_MASK, ATIME_MASK, `${option}: the whole atime mask or none`);
    else t.equal(o.recAttrSet & ATIME_MASK, 0, `${option}: no atime bits without the mask`);
  }
});

/** [option, attr_set, attr_clr] of a bind's per-mount flags (mount_setattr on that mount only). */
const BIND_ATTRS: [string, number, number][] = [
  ['ro', M.MOUNT_ATTR_RDONLY, 0],
  ['rw', 0, M.MOUNT_ATTR_RDONLY],
  ['nosuid', M.MOUNT_ATTR_NOSUID, 0],
  ['suid', 0, M.MOUNT_ATTR_NOSUID],
  ['nodev', M.MOUNT_ATTR_NODEV, 0],
  ['dev', 0, M.MOUNT_ATTR_NODEV],
  ['noexec', M.MOUNT_ATTR_NOEXEC, 0],
  ['exec', 0, M.MOUNT_ATTR_NOEXEC],
  ['nodiratime', M.MOUNT_ATTR_NODIRATIME, 0],
  ['diratime', 0, M.MOUNT_ATTR_NODIRATIME],
  ['nosymfollow', M.MOUNT_ATTR_NOSYMFOLLOW, 0],
  ['symfollow', 0, M.MOUNT_ATTR_NOSYMFOLLOW],
  ['noatime', M.MOUNT_ATTR_NOATIME, ATIME_MASK],
  ['strictatime', M.MOUNT_ATTR_STRICTATIME, ATIME_MASK],
  ['relatime', M.MOUNT_ATTR_RELATIME, ATIME_MASK],
  ['atime', M.MOUNT_ATTR_RELATIME, ATIME_MASK],
  ['norelatime', M.MOUNT_ATTR_STRICTATIME, ATIME_MASK],
  ['nostrictatime', M.MOUNT_ATTR_RELATIME, ATIME_MASK],
];

t.test('a bind mount: flags become attributes of that mount, mount(2) gets only MS_BIND[|MS_REC]', async (t) => {
  for (const [option, attrSet, attrClr] of BIND_ATTRS) {
    t.same(parse(['bind', option], 'none'), { ...BIND, attrSet, attrClr }, `bind,${option}`);
    t.same(parse(['rbind', option], 'none'), { ...RBIND, attrSet, attrClr }, `rbind,${option}: still this mount only`);
  }
  t.same(parse([], 'bind'), BIND, 'type "bind" alone: a non-recursive bind');
  t.same(parse(['rbind'], 'bind'), RBIND, 'type "bind" with rbind');
  t.same(parse(['ro', 'rbind'], 'none'), { ...RBIND, attrSet: M.MOUNT_ATTR_RDONLY }, 'bind anywhere in the list');
  t.same(parse(['bind', 'defaults'], 'none'), BIND, 'defaults');
  t.same(parse(['bind', 'ro', 'rw'], 'none'), { ...BIND, attrSet: 0, attrClr: M.MOUNT_ATTR_RDONLY }, 'ro,rw');
  t.same(
    parse(['rbind', 'nosuid', 'noexec', 'nodev', 'ro'], 'none'),
    { ...RBIND, attrSet: M.MOUNT_ATTR_NOSUID | M.MOUNT_ATTR_NOEXEC | M.MOUNT_ATTR_NODEV | M.MOUNT_ATTR_RDONLY },
    'the rootless /sys bind',
  );
  t.same(
    parse(['rbind', 'ro', 'rro', 'rprivate'], 'none'),
    { ...RBIND, attrSet: M.MOUNT_ATTR_RDONLY, recAttrSet: M.MOUNT_ATTR_RDONLY, propagation: M.MS_PRIVATE | M.MS_REC },
    'per-mount, recursive and propagation together',
  );
});

t.test('options a bind mount cannot honour are refused with a pointer', async (t) => {
  const superblockOnly = ['sync', 'async', 'dirsync', 'mand', 'nomand', 'lazytime', 'nolazytime', 'iversion', 'noiversion', 'silent', 'loud'];
  for (const option of superblockOnly) {
    const e = configError(() => parse(['rbind', option], 'none'));
    t.equal(e.pointer, `${POINTER}/options/1`, `${option}: pointer`);
    t.equal(e.reason, `"${option}" changes the filesystem, not the bind mount; not supported on a bind mount`, `${option}: reason`);
    t.doesNotThrow(() => parse([option]), `${option} is fine on a filesystem mount`);
  }
  const remount = configError(() => parse(['bind', 'ro', 'remount'], 'none'));
  t.same([remount.pointer, remount.reason], [`${POINTER}/options/2`, '"remount" is not supported on a bind mount']);

  const unknown = configError(() => parse(['bind', 'mode=755', 'ro', 'size=1k'], 'none'));
  t.equal(unknown.pointer, `${POINTER}/options`);
  t.equal(unknown.reason, 'unknown option(s) for a bind mount: mode=755, size=1k');
  t.equal(unknown.message, `config.json ${POINTER}/options: unknown option(s) for a bind mount: mode=755, size=1k`);
});

t.test('idmap and ridmap are refused (not yet supported), never ignored', async (t) => {
  const cases: [string[], string | undefined, number, string][] = [
    [['rbind', 'idmap'], 'none', 1, 'id-mapped mounts are not supported yet'],
    [['rbind', 'ro', 'ridmap'], 'none', 2, 'id-mapped mounts are not supported yet'],
    [['idmap'], 'bind', 0, 'id-mapped mounts are not supported yet'],
  ];
  for (const [options, type, index, reason] of cases) {
    const e = configError(() => parse(options, type));
    t.equal(e.pointer, `${POINTER}/options/${index}`, `${options.join(',')}: pointer`);
    t.equal(e.reason, reason, `${options.join(',')}: reason`);
  }
});

t.test('tmpcopyup: a flag of the tmpfs step, never mount(2) data; refused on anything but a new tmpfs', async (t) => {
  t.same(parse(['nosuid', 'tmpcopyup', 'mode=1777', 'size=64k']), { ...NONE, flags: M.MS_NOSUID, data: 'mode=1777,size=64k', copyUp: true });
  t.same(parse(['tmpcopyup']), { ...NONE, copyUp: true }, 'alone: no data at all');
  t.same(parse(['mode=755']).copyUp, false);
  const cases: [string[], string | undefined, number, string][] = [
    [['bind', 'tmpcopyup'], 'none', 1, '"tmpcopyup" applies to a tmpfs mount only, not a bind mount'],
    [['tmpcopyup'], 'bind', 0, '"tmpcopyup" applies to a tmpfs mount only, not a bind mount'],
    [['rbind', 'ro', 'tmpcopyup'], 'tmpfs', 2, '"tmpcopyup" applies to a tmpfs mount only, not a bind mount'],
    [['ro', 'tmpcopyup'], 'proc', 1, '"tmpcopyup" applies to a tmpfs mount only, not type "proc"'],
    [['tmpcopyup'], 'devpts', 0, '"tmpcopyup" applies to a tmpfs mount only, not type "devpts"'],
    [['remount', 'tmpcopyup'], 'tmpfs', 1, '"tmpcopyup" needs a new tmpfs, not a remount'],
  ];
  for (const [options, type, index, reason] of cases) {
    const e = configError(() => parse(options, type));
    t.equal(e.pointer, `${POINTER}/options/${index}`, `${options.join(',')} (${type}): pointer`);
    t.equal(e.reason, reason, `${options.join(',')} (${type}): reason`);
  }
});
