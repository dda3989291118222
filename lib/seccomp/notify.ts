// SCMP_ACT_NOTIFY: the filter's listener fd goes to the agent listening on
// linux.seccomp.listenerPath, with the "container process state" JSON the
// spec defines, in one message (the fd rides along with SCM_RIGHTS).
import { native } from '../native';
import type { LinuxSeccomp } from '../spec';
import { stepErrorOf } from '../system-error';

/** The container's state as the agent sees it: the spec's state while the runtime creates it. */
export interface ListenerState {
  ociVersion: string;
  id: string;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
}

/** The name the spec gives the listener fd in `fds`. */
const SECCOMP_FD_NAME = 'seccompFd';

export function deliverListener(seccomp: Pick<LinuxSeccomp, 'listenerPath' | 'listenerMetadata'>, fd: number, state: ListenerState): void {
  const message = {
    ociVersion: state.ociVersion,
    fds: [SECCOMP_FD_NAME],
    pid: state.pid,
    metadata: seccomp.listenerMetadata ?? '',
    state: { ...state, status: 'creating' },
  };
  try {
    native.sendToUnixSocket(seccomp.listenerPath!, Buffer.from(JSON.stringify(message)), [fd]);
  } catch (e) {
    throw stepErrorOf('send the seccomp listener to', e, '/linux/seccomp/listenerPath');
  }
}
