// sendToUnixSocket: data and fds (SCM_RIGHTS) to a program listening on a
// unix socket path, as a seccomp agent or a --console-socket receiver does.
// The receiver is python3 (socket.recv_fds), which reports what arrived.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../lib/native';

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import socket; socket.recv_fds'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = hasPython() ? false : 'needs python3 (3.9 or later, for socket.recv_fds)';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-unix-socket-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// Accepts one connection, reads to EOF, prints JSON: the data (or its length
// and hash when long) and, for each fd, what it points at and its first bytes.
const RECEIVER = `
import hashlib, json, os, socket, stat, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
data, fds, _, _ = socket.recv_fds(conn, 65536, 16)
while True:
    more = conn.recv(1 << 20)
    if not more:
        break
    data += more
def describe(fd):
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.lseek(fd, 0, os.SEEK_SET)
    return {"target": os.readlink("/proc/self/fd/%d" % fd), "head": os.read(fd, 64).decode()}
print(json.dumps({
    "data": data.decode("latin1") if len(data) <= 256 else None,
    "length": len(data),
    "sha256": hashlib.sha256(data).hexdigest(),
    "fds": [describe(fd) for fd in fds],
}), flush=True)
`;

interface Received {
  data: string | null;
  length: number;
  sha256: string;
  fds: { target: string; head: string }[];
}

let counter = 0;

/** Starts a receiver on a fresh path; `result` resolves with its report once it has read to EOF. */
async function receiver(): Promise<{ socketPath: string; result: Promise<Received> }> {
  const socketPath = path.join(dir, `s${++counter}`);
  const py = spawn('python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void py.kill('SIGKILL'));
  let out = '';
  py.stdout!.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    py.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.startsWith('ready\n')) resolve();
    });
    py.once('exit', (code) => reject(new Error(`receiver exited early (${code})`)));
  });
  const result = new Promise<Received>((resolve, reject) => {
    py.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as Received) : reject(new Error(`receiver exited ${code}`))));
  });
  await ready;
  return { socketPath, result };
}

t.test('data and one fd arrive', { skip }, async (t) => {
  const file = path.join(dir, 'payload.txt');
  fs.writeFileSync(file, 'contents of the passed file');
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  const { socketPath, result } = await receiver();
  native.sendToUnixSocket(socketPath, Buffer.from('seccomp-listener'), [fd]);
  const got = await result;
  t.equal(got.data, 'seccomp-listener');
  t.same(got.fds, [{ target: file, head: 'contents of the passed file' }], 'the fd points at the file');
  t.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), file, 'our fd stays open');
});

t.test('several fds, in order, including a FIFO with data in it', { skip }, async (t) => {
  const file = path.join(dir, 'second.txt');
  fs.writeFileSync(file, 'second');
  const fileFd = fs.openSync(file, 'r');
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeEnd = fs.openSync(fifo, fs.constants.O_WRONLY);
  t.teardown(() => [fileFd, readEnd, writeEnd].forEach((fd) => fs.closeSync(fd)));
  fs.writeSync(writeEnd, 'through the fifo');
  const { socketPath, result } = await receiver();
  native.sendToUnixSocket(socketPath, Buffer.from('x'), [readEnd, fileFd]);
  const got = await result;
  t.same(got.fds, [{ target: fifo, head: 'through the fifo' }, { target: file, head: 'second' }]);
});

t.test('data without fds; large data arrives whole', { skip }, async (t) => {
  const small = await receiver();
  native.sendToUnixSocket(small.socketPath, Buffer.from('just data'), []);
  t.match(await small.result, { data: 'just data', fds: [] });

  const big = Buffer.alloc(8 << 20);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  const file = path.join(dir, 'big.txt');
  fs.writeFileSync(file, 'big');
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  const large = await receiver();
  native.sendToUnixSocket(large.socketPath, big, [fd]);
  const got = await large.result;
  t.equal(got.length, big.length, 'every byte');
  t.equal(got.sha256, createHash('sha256').update(big).digest('hex'), 'in order');
  t.same(got.fds, [{ target: file, head: 'big' }], 'the fd once, with the first part');
});

t.test('errors name the syscall and the path', { skip }, async (t) => {
  const missing = path.join(dir, 'no-such-socket');
  t.throws(() => native.sendToUnixSocket(missing, Buffer.from('x'), []), {
    code: 'ENOENT', errno: -2, syscall: 'connect', path: missing,
    message: `ENOENT: no such file or directory, connect '${missing}'`,
  });

  // A socket file nobody listens on (bound, then closed).
  const dead = path.join(dir, 'dead-socket');
  execFileSync('python3', ['-c', 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()', dead]);
  t.throws(() => native.sendToUnixSocket(dead, Buffer.from('x'), []), { code: 'ECONNREFUSED', syscall: 'connect', path: dead });

  const long = path.join(dir, 'l'.repeat(120));
  t.throws(() => native.sendToUnixSocket(long, Buffer.from('x'), []), { code: 'ENAMETOOLONG', syscall: 'connect', path: long });

  const notSocket = path.join(dir, 'plain-file');
  fs.writeFileSync(notSocket, '');
  t.throws(() => native.sendToUnixSocket(notSocket, Buffer.from('x'), []), { code: 'ECONNREFUSED', syscall: 'connect', path: notSocket });

  // A closed fd fails the send, not the connect.
  const { socketPath, result } = await receiver();
  t.throws(() => native.sendToUnixSocket(socketPath, Buffer.from('x'), [987654]), { code: 'EBADF', syscall: 'sendmsg', path: socketPath });
  t.match(await result, { length: 0, fds: [] }, 'nothing arrived');
});

t.test('bad arguments throw TypeErrors', async (t) => {
  const send = native.sendToUnixSocket as (...args: unknown[]) => void;
  t.throws(() => send(1, Buffer.from('x'), []), { name: 'TypeError', message: /argument 'path' must be a string/ });
  t.throws(() => send('/x', 'x', []), { name: 'TypeError', message: /argument 'data' must be a Buffer/ });
  t.throws(() => send('/x', Buffer.from('x')), { name: 'TypeError', message: /argument 'fds' must be an array of fds/ });
  t.throws(() => send('/x', Buffer.from('x'), [-1]), { name: 'TypeError', message: /argument 'fds' must be an array of fds/ });
  t.throws(() => send('/x', Buffer.from('x'), [1.5]), { name: 'TypeError', message: /argument 'fds' must be an array of fds/ });
  t.throws(() => send('/x', Buffer.from('x'), ['3']), { name: 'TypeError', message: /argument 'fds' must be an array of fds/ });
  t.throws(() => send('/x\0y', Buffer.from('x'), []), { name: 'TypeError', message: /must not contain NUL/ });
  t.throws(() => send('/x', Buffer.alloc(0), [0]), { name: 'TypeError', message: /must not be empty when fds are sent/ });
  t.throws(() => send('/x', Buffer.from('x'), Array(254).fill(0)), { name: 'RangeError', message: /more than 253/ });
});
