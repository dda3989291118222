// Encodes a plan into the flat bytes csrc/child/plan.h describes.
import { constants } from '../native';
import type { Step } from './steps';

type Int = number | bigint;

/**
 * What a step's child function reads: ints, then `raw` (a multiple of 8
 * bytes, copied as is after the ints and counted among them: a seccomp
 * program, one instruction per slot), then the string groups.
 */
function layout(step: Step): { ints: Int[]; raw?: Buffer; groups: string[][] } {
  switch (step.kind) {
    case 'SETNS': return { ints: [step.nstype], groups: [[step.path]] };
    case 'SETNS_PID': return { ints: [step.pid, step.flags], groups: [] };
    case 'SESSION_KEYRING': return { ints: [], groups: [[step.name]] };
    case 'UNSHARE': return { ints: [step.flags], groups: [] };
    case 'SET_ROOT_IDS': return { ints: [step.setGroups ? 1 : 0], groups: [] };
    case 'ROOTFS': return { ints: [step.propagation], groups: [[step.rootfs, step.privateParent]] };
    case 'MOUNT':
      return {
        ints: [step.flags, step.propagation, step.attrSet, step.attrClr, step.recAttrSet, step.recAttrClr, step.create, step.copyUp ? 1 : 0],
        groups: [[step.source, step.dest, step.fstype, step.data]],
      };
    case 'MKNOD':
      return { ints: [step.mode, step.major, step.minor, step.uid, step.gid, step.bindFrom ? 1 : 0], groups: [[step.dest, step.bindFrom ?? '']] };
    case 'SYMLINK': return { ints: [step.ignoreExisting ? 1 : 0], groups: [[step.target, step.dest]] };
    case 'MASK':
    case 'READONLY':
    case 'MKDIR': return { ints: [], groups: [[step.dest]] };
    case 'ROOT_PROPAGATION': return { ints: [step.flags], groups: [] };
    case 'HOSTNAME':
    case 'DOMAINNAME': return { ints: [], groups: [[step.name]] };
    case 'WRITE_FILE': return { ints: [step.inRoot ? 1 : 0, step.fsMagic], groups: [[step.path, step.content]] };
    case 'RLIMIT': return { ints: [step.resource, step.soft, step.hard], groups: [] };
    case 'CAP_BOUNDING': return { ints: [step.keep, step.lastCap], groups: [] };
    case 'SET_USER': return { ints: [step.uid, step.gid, step.setGroups ? 1 : 0, ...step.groups], groups: [] };
    case 'CAPS': return { ints: [step.effective, step.permitted, step.inheritable, step.ambient], groups: [] };
    case 'UMASK': return { ints: [step.mask], groups: [] };
    case 'CHDIR': return { ints: [step.soft ? 1 : 0], groups: [[step.path]] };
    case 'EXEC':
      return { ints: [step.preservedFds, step.pathDirs ? 1 : 0], groups: [step.args, step.env, step.pathDirs ?? [], step.file === undefined ? [] : [step.file]] };
    case 'STDIN_DATA': return { ints: [], groups: [[step.data]] };
    case 'SECCOMP': return { ints: [step.flags, step.listener ? 1 : 0], raw: step.program, groups: [] };
    case 'OPEN_BARRIER': return { ints: [], groups: [[step.path]] };
    case 'ENTER_CGROUP': return { ints: [], groups: [[step.tasksFile]] };
    case 'CHECK_EXEC': return { ints: [step.pathDirs ? 1 : 0], groups: [[step.file], step.pathDirs ?? []] };
    case 'CONSOLE': return { ints: [step.size ? 1 : 0, step.size?.rows ?? 0, step.size?.cols ?? 0], groups: [] };
    case 'SYNC_CGROUPS': return { ints: step.part ? [step.part === 'ask' ? 1 : 2] : [], groups: [] };
    case 'SYNC_IDMAPS':
    case 'PIVOT_ROOT':
    case 'ROOT_READONLY':
    case 'LOOPBACK_UP':
    case 'NO_NEW_PRIVS':
    case 'BARRIER':
    case 'FORK_INIT':
    case 'SYNC_HOOKS':
      return { ints: [], groups: [] };
  }
}

const U64_MAX = (1n << 64n) - 1n;

function checkString(s: string): string {
  // A NUL would silently cut the string short in the child.
  if (s.includes('\0')) throw new Error(`plan string contains a NUL byte: ${JSON.stringify(s)}`);
  return s;
}

export function encodePlan(steps: readonly Step[]): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(16);
  header.writeUInt32LE(constants.plan.MAGIC, 0);
  header.writeUInt32LE(constants.plan.VERSION, 4);
  header.writeUInt32LE(steps.length, 8);
  parts.push(header);
  steps.forEach((step, index) => {
    const { ints, raw, groups } = layout(step);
    if (raw && raw.length % 8) throw new Error(`plan step ${index} ${step.kind}: raw data of ${raw.length} bytes is not a multiple of 8`);
    const nraw = raw ? raw.length / 8 : 0;
    const head = Buffer.alloc(16 + ints.length * 8);
    head.writeUInt32LE(constants.steps[step.kind], 0);
    head.writeUInt32LE(index, 4);
    head.writeUInt32LE(ints.length + nraw, 8);
    head.writeUInt32LE(groups.length, 12);
    ints.forEach((v, i) => {
      const b = BigInt(v);
      if (b < 0n) head.writeBigInt64LE(b, 16 + i * 8);
      else head.writeBigUInt64LE(b > U64_MAX ? U64_MAX : b, 16 + i * 8);
    });
    parts.push(head);
    let size = head.length;
    if (raw) {
      parts.push(raw);
      size += raw.length;
    }
    for (const group of groups) {
      const count = Buffer.alloc(4);
      count.writeUInt32LE(group.length, 0);
      parts.push(count);
      size += 4;
      for (const s of group) {
        const str = Buffer.from(checkString(s) + '\0', 'utf8');
        parts.push(str);
        size += str.length;
      }
    }
    if (size % 8) parts.push(Buffer.alloc(8 - (size % 8)));
  });
  return Buffer.concat(parts);
}
