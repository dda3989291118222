// A unix socket that takes one message with one fd (SCM_RIGHTS), as conmon
// and containerd take a console master or a pidfd: python3's recv_fds prints
// the payload, what the fd is (readlink), and then everything read from it
// until EOF or EIO (a pty master once the container has exited).
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const RECEIVER = `
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
print("payload", msg.decode(), len(fds), flush=True)
print("fd", os.readlink("/proc/self/fd/%d" % fds[0]), flush=True)
if sys.argv[2] == "read":
    while True:
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        sys.stdout.write(data.decode(errors="replace")); sys.stdout.flush()
`;

export function hasFdReceiver(): boolean {
  return spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { stdio: 'ignore' }).status === 0;
}

export const fdReceiverSkip: string | false = hasFdReceiver() ? false : 'needs python3 3.9+ (socket.recv_fds)';

export interface FdReceiver {
  /** What the receiver printed so far. */
  output(): string;
  /** Resolves when the receiver has exited (after EOF on the fd, or after the message if not reading). */
  done: Promise<void>;
  kill(): void;
}

/** Listens on `socketPath`; with `read`, also prints what comes out of the received fd. */
export async function fdReceiver(socketPath: string, mode: 'read' | 'describe'): Promise<FdReceiver> {
  const py = spawn('python3', ['-c', RECEIVER, socketPath, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  py.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const done = new Promise<void>((resolve) => py.once('exit', () => resolve()));
  for (let i = 0; i < 500 && !out.startsWith('ready\n'); i++) await sleep(10);
  if (!out.startsWith('ready\n')) throw new Error('the fd receiver did not start');
  return { output: () => out, done, kill: () => void py.kill('SIGKILL') };
}
