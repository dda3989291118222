// The container's terminal: the pty master the child made inside the
// container's devpts reaches the caller's --console-socket, as runc sends it
// (one message, the pty path as payload, the master as SCM_RIGHTS).
import { native } from '../native';

export function sendConsole(socketPath: string, masterFd: number, ptsIndex: number): void {
  native.sendToUnixSocket(socketPath, Buffer.from(`/dev/pts/${ptsIndex}`), [masterFd]);
}
