// process.terminal: the CONSOLE step gives the container a pty of its own
// devpts as stdio and controlling terminal, and hands the master to
// onConsole. Checked in a real busybox container, through the master.
import t from 'tap';
import { spawn as spawnProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlan } from '../../lib/plan';
import { spawnContainer } from '../../lib/runtime/child';
import { loadBundleConfig } from '../../lib/spec';
import { makeBundle, ourChildren, rootSkip, tempDir, type Config } from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

const SCRIPT = [
  'tty',
  'stty size',
  'readlink /proc/$$/fd/0; readlink /proc/$$/fd/1; readlink /proc/$$/fd/2',
  // A controlling terminal: /dev/tty opens (ENXIO without one).
  'echo via-dev-tty > /dev/tty',
  // Session leader: the sid is the container's pid (field 6 of stat).
  'echo "sid=$(cut -d" " -f6 /proc/$$/stat) pid=$$"',
  'ls /proc/$$/fd',
  'true', // not last: sh would exec ls, and list ls's own fds
].join('; ');

async function planFor(edit: (c: Config) => void): Promise<ReturnType<typeof buildPlan>> {
  const bundle = await makeBundle((c) => {
    c.process.terminal = true;
    c.process.args = ['sh', '-c', SCRIPT];
    edit(c);
  });
  return buildPlan(loadBundleConfig(bundle), { bundle });
}

const children = ourChildren;

// ---------------------------------------------------------------------------

t.test('terminal: the container\'s stdio is a pty whose master reaches onConsole', { skip: rootSkip }, async (t) => {
  const plan = await planFor((c) => (c.process.consoleSize = { height: 37, width: 101 }));
  t.match(plan.steps.find((s) => s.kind === 'CONSOLE'), { size: { rows: 37, cols: 101 }, origin: '/process/terminal' });
  let got: { fd: string; index: number } | null = null;
  let output: Promise<string> | null = null;
  const container = await spawnContainer(plan, {
    onConsole: (fd, index) => {
      got = { fd: fs.readlinkSync(`/proc/self/fd/${fd}`), index };
      // cat keeps a copy of the master (its stdin) after ours is closed;
      // it ends with EIO once the container's side is gone.
      const cat = spawnProcess('cat', [], { stdio: [fd, 'pipe', 'ignore'] });
      let text = '';
      cat.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      output = new Promise((resolve) => cat.on('close', () => resolve(text)));
    },
  });
  t.match(got, { fd: '/dev/pts/ptmx', index: 0 }, 'the master of pts 0 of the container\'s own devpts');
  t.same(await container.exited, { pid: container.pid, exitCode: 0 });
  const lines = (await output!).replace(/\r/g, '').split('\n');
  t.comment(lines.join('\n'));
  t.equal(lines[0], '/dev/pts/0', 'tty');
  t.equal(lines[1], '37 101', 'stty size: consoleSize');
  t.same(lines.slice(2, 5), ['/dev/pts/0', '/dev/pts/0', '/dev/pts/0'], 'stdin, stdout and stderr');
  t.equal(lines[5], 'via-dev-tty', 'the controlling terminal');
  t.equal(lines[6], 'sid=1 pid=1', 'a session of its own');
  t.same(lines.slice(7).join(' ').trim().split(/\s+/), ['0', '1', '2'], 'no other fd in the container (no master, no extra peer)');
  const ptmx = fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === '/dev/pts/ptmx';
    } catch {
      return false;
    }
  });
  t.same(ptmx, [], 'our copy of the master was closed once onConsole returned');
});

t.test('terminal and no onConsole: the spawn fails, the container never runs', { skip: rootSkip }, async (t) => {
  const tmp = tempDir('console-tmp');
  const plan = await planFor((c) => {
    c.process.args = ['sh', '-c', 'touch /tmp/ran'];
    c.mounts.push({ destination: '/tmp', type: 'bind', source: tmp, options: ['rbind', 'rw'] });
  });
  const before = children();
  await t.rejects(spawnContainer(plan), {
    name: 'StepError',
    operation: 'set up the console',
    code: 'ENOTSUP',
    pointer: '/process/terminal',
    message: 'set up the console: terminal: true needs a console socket (config.json /process/terminal)',
  });
  const boom = new Error('no socket here');
  await t.rejects(spawnContainer(plan, { onConsole: () => Promise.reject(boom) }), boom, 'a rejecting onConsole fails it too');
  t.notOk(fs.existsSync(path.join(tmp, 'ran')), 'the container process never ran');
  t.same(children(), before, 'no child process left');
});
