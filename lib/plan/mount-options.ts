// The spec's mount option table (config.md "Mounts"), runc's table-driven
// style: each option string sets or clears mount(2) flags, a propagation
// type, or a mount_setattr attribute; anything else is fs-specific data.
import { ConfigError } from '../errors';
import { constants } from '../native';

const M = constants.mount;
const A = {
  RDONLY: M.MOUNT_ATTR_RDONLY!,
  NOSUID: M.MOUNT_ATTR_NOSUID!,
  NODEV: M.MOUNT_ATTR_NODEV!,
  NOEXEC: M.MOUNT_ATTR_NOEXEC!,
  ATIME: M.MOUNT_ATTR__ATIME!,
  RELATIME: M.MOUNT_ATTR_RELATIME!,
  NOATIME: M.MOUNT_ATTR_NOATIME!,
  STRICTATIME: M.MOUNT_ATTR_STRICTATIME!,
  NODIRATIME: M.MOUNT_ATTR_NODIRATIME!,
  NOSYMFOLLOW: M.MOUNT_ATTR_NOSYMFOLLOW!,
};

/** option -> [clear?, mount(2) flag] */
const FLAGS: Record<string, [boolean, number]> = {
  ro: [false, M.MS_RDONLY!], rw: [true, M.MS_RDONLY!],
  nosuid: [false, M.MS_NOSUID!], suid: [true, M.MS_NOSUID!],
  nodev: [false, M.MS_NODEV!], dev: [true, M.MS_NODEV!],
  noexec: [false, M.MS_NOEXEC!], exec: [true, M.MS_NOEXEC!],
  sync: [false, M.MS_SYNCHRONOUS!], async: [true, M.MS_SYNCHRONOUS!],
  dirsync: [false, M.MS_DIRSYNC!],
  remount: [false, M.MS_REMOUNT!],
  mand: [false, M.MS_MANDLOCK!], nomand: [true, M.MS_MANDLOCK!],
  atime: [true, M.MS_NOATIME!], noatime: [false, M.MS_NOATIME!],
  diratime: [true, M.MS_NODIRATIME!], nodiratime: [false, M.MS_NODIRATIME!],
  relatime: [false, M.MS_RELATIME!], norelatime: [true, M.MS_RELATIME!],
  strictatime: [false, M.MS_STRICTATIME!], nostrictatime: [true, M.MS_STRICTATIME!],
  lazytime: [false, M.MS_LAZYTIME!], nolazytime: [true, M.MS_LAZYTIME!],
  iversion: [false, M.MS_I_VERSION!], noiversion: [true, M.MS_I_VERSION!],
  silent: [false, M.MS_SILENT!], loud: [true, M.MS_SILENT!],
  nosymfollow: [false, M.MS_NOSYMFOLLOW!], symfollow: [true, M.MS_NOSYMFOLLOW!],
  defaults: [false, 0],
};

const PROPAGATION: Record<string, number> = {
  private: M.MS_PRIVATE!, rprivate: M.MS_PRIVATE! | M.MS_REC!,
  shared: M.MS_SHARED!, rshared: M.MS_SHARED! | M.MS_REC!,
  slave: M.MS_SLAVE!, rslave: M.MS_SLAVE! | M.MS_REC!,
  unbindable: M.MS_UNBINDABLE!, runbindable: M.MS_UNBINDABLE! | M.MS_REC!,
};

/** option -> [clear?, mount_setattr attribute, is an atime mode] */
type Attr = [boolean, number, boolean];
const ATTRS: Record<string, Attr> = {
  ro: [false, A.RDONLY, false], rw: [true, A.RDONLY, false],
  nosuid: [false, A.NOSUID, false], suid: [true, A.NOSUID, false],
  nodev: [false, A.NODEV, false], dev: [true, A.NODEV, false],
  noexec: [false, A.NOEXEC, false], exec: [true, A.NOEXEC, false],
  noatime: [false, A.NOATIME, true], relatime: [false, A.RELATIME, true], strictatime: [false, A.STRICTATIME, true],
  atime: [false, A.RELATIME, true], // "atime" on its own means the default mode, relatime
  norelatime: [false, A.STRICTATIME, true], nostrictatime: [false, A.RELATIME, true],
  nodiratime: [false, A.NODIRATIME, false], diratime: [true, A.NODIRATIME, false],
  nosymfollow: [false, A.NOSYMFOLLOW, false], symfollow: [true, A.NOSYMFOLLOW, false],
};

/** Options a bind mount cannot honour per mount: they change the filesystem itself. */
const SUPERBLOCK_ONLY = new Set(['sync', 'async', 'dirsync', 'mand', 'nomand', 'lazytime', 'nolazytime', 'iversion', 'noiversion', 'silent', 'loud']);

/** Recognized but not implemented yet: refused, never ignored. */
const NOT_YET: Record<string, string> = {
  idmap: 'id-mapped mounts are not supported yet',
  ridmap: 'id-mapped mounts are not supported yet',
};

export interface MountOptions {
  bind: boolean;
  recursive: boolean;
  /** mount(2) flags for a filesystem mount (on a bind, only MS_BIND/MS_REC). */
  flags: number;
  propagation: number;
  attrSet: number;
  attrClr: number;
  recAttrSet: number;
  recAttrClr: number;
  data: string;
  /** tmpcopyup: fill the new tmpfs with what the destination held in the rootfs (never passed to mount(2)) */
  copyUp: boolean;
}

function setAttr(attr: Attr, set: number, clr: number): [number, number] {
  const [clear, bit, atime] = attr;
  if (atime) return [(set & ~A.ATIME) | bit, clr | A.ATIME];
  return clear ? [set & ~bit, clr | bit] : [set | bit, clr & ~bit];
}

/**
 * Parses one mount's options; `pointer` is the mount's JSON pointer. A bind
 * mount's per-mount flags become mount_setattr attributes; the r* forms
 * become recursive attributes.
 */
export function parseMountOptions(options: readonly string[], type: string | undefined, pointer: string): MountOptions {
  const bind = options.includes('bind') || options.includes('rbind') || type === 'bind';
  const out: MountOptions = { bind, recursive: options.includes('rbind'), flags: 0, propagation: 0, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0, data: '', copyUp: false };
  const data: string[] = [];
  options.forEach((option, i) => {
    const at = `${pointer}/options/${i}`;
    if (option === 'bind' || option === 'rbind') return;
    if (option in NOT_YET) throw new ConfigError(at, NOT_YET[option]!);
    if (option === 'tmpcopyup') {
      // A runtime extension (runc, crun): ours to do, not the kernel's.
      if (bind || type !== 'tmpfs') throw new ConfigError(at, `"tmpcopyup" applies to a tmpfs mount only, not ${bind ? 'a bind mount' : `type "${type ?? ''}"`}`);
      out.copyUp = true;
      return;
    }
    if (option in PROPAGATION) {
      out.propagation = PROPAGATION[option]!;
      return;
    }
    if (option.length > 1 && option.startsWith('r') && option.slice(1) in ATTRS && !(option in FLAGS)) {
      [out.recAttrSet, out.recAttrClr] = setAttr(ATTRS[option.slice(1)]!, out.recAttrSet, out.recAttrClr);
      return;
    }
    if (option in FLAGS) {
      if (bind) {
        if (option === 'defaults') return;
        if (option === 'remount') throw new ConfigError(at, '"remount" is not supported on a bind mount');
        if (SUPERBLOCK_ONLY.has(option)) throw new ConfigError(at, `"${option}" changes the filesystem, not the bind mount; not supported on a bind mount`);
        [out.attrSet, out.attrClr] = setAttr(ATTRS[option]!, out.attrSet, out.attrClr);
        return;
      }
      const [clear, flag] = FLAGS[option]!;
      out.flags = clear ? out.flags & ~flag : out.flags | flag;
      return;
    }
    data.push(option); // fs-specific (mode=755, size=64k, newinstance, ...), as mount(8)
  });
  if (out.copyUp && out.flags & M.MS_REMOUNT!) throw new ConfigError(`${pointer}/options/${options.indexOf('tmpcopyup')}`, '"tmpcopyup" needs a new tmpfs, not a remount');
  if (bind) out.flags = M.MS_BIND! | (out.recursive ? M.MS_REC! : 0);
  else if (data.length) out.data = data.join(',');
  if (bind && data.length) throw new ConfigError(`${pointer}/options`, `unknown option(s) for a bind mount: ${data.join(', ')}`);
  return out;
}

/** Propagation flags for linux.rootfsPropagation. */
export function rootfsPropagationFlags(value: string): number {
  const flags = PROPAGATION[value];
  if (flags === undefined) throw new ConfigError('/linux/rootfsPropagation', `unknown propagation "${value}"`);
  return flags;
}

/** Every option the table knows (for `features`); idmap and ridmap are refused, so they are not listed. */
export function knownMountOptions(): string[] {
  const recursive = Object.keys(ATTRS).map((o) => `r${o}`).filter((o) => !(o in FLAGS));
  return [...new Set(['bind', 'rbind', 'tmpcopyup', ...Object.keys(FLAGS), ...Object.keys(PROPAGATION), ...recursive])].sort();
}
