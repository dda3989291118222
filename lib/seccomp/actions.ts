// What each OCI action returns to the kernel (linux/seccomp.h SECCOMP_RET_*).
import type { SeccompAction } from '../spec';

const RET_KILL_PROCESS = 0x80000000;
const RET_KILL_THREAD = 0x00000000;
const RET_TRAP = 0x00030000;
const RET_ERRNO = 0x00050000;
const RET_USER_NOTIF = 0x7fc00000;
const RET_TRACE = 0x7ff00000;
const RET_LOG = 0x7ffc0000;
const RET_ALLOW = 0x7fff0000;

/** A syscall from an architecture the filter does not list (libseccomp's default "bad arch" action kills). */
export const BAD_ARCH = RET_KILL_PROCESS;

/** runc's value for ERRNO and TRACE without errnoRet. */
const EPERM = 1;

const BASE: Record<SeccompAction, number> = {
  SCMP_ACT_KILL: RET_KILL_THREAD,
  SCMP_ACT_KILL_THREAD: RET_KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: RET_KILL_PROCESS,
  SCMP_ACT_TRAP: RET_TRAP,
  SCMP_ACT_ERRNO: RET_ERRNO,
  SCMP_ACT_TRACE: RET_TRACE,
  SCMP_ACT_ALLOW: RET_ALLOW,
  SCMP_ACT_LOG: RET_LOG,
  SCMP_ACT_NOTIFY: RET_USER_NOTIF,
};

/** The filter's return value for an action (the schema has checked errnoRet's range and use). */
export function actionValue(action: SeccompAction, errnoRet: number | undefined): number {
  const takesValue = action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE';
  return (BASE[action] | (takesValue ? (errnoRet ?? EPERM) : 0)) >>> 0;
}
