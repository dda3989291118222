// CHECK_EXEC: the entrypoint looked up at create time the way EXEC will, so
// that a missing or non-executable file fails `create` with runc's phrases
// (podman maps them to exit codes 127 and 126). Each case also runs through
// EXEC itself: the check must say what the execve would.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Plan, Step } from '../../lib/plan';
import { spawnContainer } from '../../lib/runtime/child';
import { rootSkip, tempDir } from '../helpers/container';

// ---------------------------------------------------------------------------
// Local helpers (this file only)

function handMade(steps: Step[]): Plan {
  return { steps, cloneFlags: 0, idMaps: null, warnings: [] };
}

const ENV = ['PATH=/usr/bin:/bin'];

function check(file: string, pathDirs: string[] | null): Step {
  return { kind: 'CHECK_EXEC', file, pathDirs, origin: '/process/args' };
}

function exec(file: string, pathDirs: string[] | null): Step {
  return { kind: 'EXEC', args: [file], env: ENV, pathDirs, preservedFds: 0, origin: '/process/args' };
}

function asUser(uid: number): Step {
  return { kind: 'SET_USER', uid, gid: uid, setGroups: true, groups: [], origin: '/process/user' };
}

const CAP_DAC_OVERRIDE = 1n << 1n;

function caps(mask: bigint): Step {
  return { kind: 'CAPS', effective: mask, permitted: mask, inheritable: 0n, ambient: 0n, origin: '/process/capabilities' };
}

/** How the plan ends: 'ok' (ran, exit 0) or the StepError's operation, code and message. */
async function outcome(steps: Step[]): Promise<string | { operation: string; code: string; message: string }> {
  try {
    const c = await spawnContainer(handMade(steps));
    const status = await c.exited;
    return 'exitCode' in status && status.exitCode === 0 ? 'ok' : JSON.stringify(status);
  } catch (e) {
    const err = e as { operation: string; code: string; message: string };
    return { operation: err.operation, code: err.code, message: err.message };
  }
}

// ---------------------------------------------------------------------------

t.test('CHECK_EXEC fails as EXEC would, with runc\'s phrases', { skip: rootSkip }, async (t) => {
  const dir = tempDir('check-exec');
  fs.chmodSync(dir, 0o755);
  const script = (name: string, mode: number) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
    fs.chmodSync(file, mode);
    return file;
  };
  const runnable = script('runnable', 0o755);
  const notExecutable = script('plain', 0o644);
  // A binary, not a script: the interpreter would need to read it without the capability.
  const ownerOnly = path.join(dir, 'owner-only');
  fs.copyFileSync('/bin/true', ownerOnly);
  fs.chmodSync(ownerOnly, 0o700);
  fs.mkdirSync(path.join(dir, 'subdir'));

  const cases: [string, string, string[] | null, Step[], string | { code: string; message: RegExp }][] = [
    ['found in PATH', 'true', ['/nonexistent-dir-xyz', '/usr/bin', '/bin'], [], 'ok'],
    ['by path', runnable, null, [], 'ok'],
    ['missing, looked up in PATH', 'no-such-command-xyz', ['/usr/bin', '/bin'], [], { code: 'ENOENT', message: /^find the executable: "no-such-command-xyz": executable file not found in \$PATH \(config\.json \/process\/args\)$/ }],
    ['no PATH at all', 'true', [], [], { code: 'ENOENT', message: /executable file not found in \$PATH/ }],
    ['missing, by path', path.join(dir, 'missing'), null, [], { code: 'ENOENT', message: /: no such file or directory/ }],
    ['below a file', path.join(runnable, 'x'), null, [], { code: 'ENOTDIR', message: /: not a directory/ }],
    ['not executable', notExecutable, null, [], { code: 'EACCES', message: /: permission denied/ }],
    ['a directory', path.join(dir, 'subdir'), null, [], { code: 'EACCES', message: /: permission denied/ }],
    ['a directory in PATH', 'subdir', [dir], [], { code: 'EACCES', message: /"subdir": permission denied/ }],
    ['not executable in PATH, found later', 'plain', [dir, '/nonexistent-dir-xyz'], [], { code: 'EACCES', message: /"plain": permission denied/ }],
    ['a device', '/dev/null', null, [], { code: 'EACCES', message: /permission denied/ }],
    ['owner-only as another user', ownerOnly, null, [asUser(1000)], { code: 'EACCES', message: /permission denied/ }],
    ['world-executable as another user', runnable, null, [asUser(1000)], 'ok'],
    // execve honours the effective capabilities; plain access(2) would not.
    ['owner-only as another user with CAP_DAC_OVERRIDE', ownerOnly, null, [asUser(1000), caps(CAP_DAC_OVERRIDE)], 'ok'],
  ];
  for (const [name, file, dirs, before, want] of cases) {
    const checked = await outcome([...before, check(file, dirs), { kind: 'UMASK', mask: 0o22, origin: '' }, exec('/bin/true', null)]);
    const execd = await outcome([...before, exec(file, dirs)]);
    if (typeof want === 'string') {
      t.equal(checked, 'ok', `${name}: CHECK_EXEC passes`);
      t.equal(execd, 'ok', `${name}: and so does EXEC`);
      continue;
    }
    t.match(checked, { operation: 'find the executable', code: want.code, message: want.message }, `${name}: CHECK_EXEC`);
    t.match(execd, { operation: 'exec', code: want.code }, `${name}: EXEC says the same`);
    if (typeof checked === 'object' && typeof execd === 'object') {
      t.equal(checked.message.replace(/^find the executable/, 'exec'), execd.message, `${name}: the same words`);
    }
  }
});
