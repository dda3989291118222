// The device filter on a real cgroup v2 directory: a process in it can open
// only what the program allows, an update replaces the program, and refusals
// carry the verifier's reason. On a hybrid host the programs attach to the
// cgroup2 hierarchy at /sys/fs/cgroup/unified.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileDeviceProgram, type DeviceRule } from '../../lib/cgroups/device-program';
import { detectMode } from '../../lib/cgroups/hierarchies';
import { native } from '../../lib/native';
import { openFds } from '../helpers/container';
import { PODMAN_RULES, prng, randomRules } from '../helpers/device-rules';

const CGROUP_ROOT = '/sys/fs/cgroup';
const mode = detectMode(CGROUP_ROOT);
const cgroup2 = mode === 'unified' ? CGROUP_ROOT : mode === 'hybrid' ? path.join(CGROUP_ROOT, 'unified') : null;
const skip: string | false = process.geteuid?.() !== 0 ? 'needs root' : cgroup2 === null ? `no cgroup2 hierarchy (cgroup mode: ${mode})` : false;

const NULL_ONLY: DeviceRule[] = [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }];
const ALLOW_ALL: DeviceRule[] = [{ allow: true, type: 'a', major: null, minor: null, access: 'rwm' }];

// r0 = 5; exit: a cgroup device program must return 0 or 1.
const RETURNS_5 = Buffer.from([0xb7, 0x00, 0, 0, 5, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
// An opcode that does not exist, then exit.
const BAD_OPCODE = Buffer.from([0xff, 0x00, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** A fresh cgroup under the cgroup2 root, removed when the test ends (its processes have exited by then). */
function testCgroup(t: Test): string {
  const dir = path.join(cgroup2!, `ociish-bpf-test-${process.pid}`);
  fs.mkdirSync(dir);
  t.teardown(() => {
    // The last process leaves the cgroup as it exits; allow the kernel a moment.
    for (let attempt = 0; ; attempt++) {
      try {
        fs.rmdirSync(dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || attempt === 50) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  });
  return dir;
}

/** Runs `command` in a shell that first moves itself into `dir`. */
function runIn(dir: string, command: string) {
  return spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${command}`], { encoding: 'utf8', timeout: 30_000 });
}

t.test('a process in the cgroup opens only what the program allows; an update replaces it', { skip }, async (t) => {
  const dir = testCgroup(t);
  t.same(native.deviceProgramIds(dir), [], 'a new cgroup has no device program');

  native.attachDeviceProgram(dir, compileDeviceProgram(NULL_ONLY));
  const first = native.deviceProgramIds(dir);
  t.equal(first.length, 1, 'one program attached');

  const zero = runIn(dir, 'head -c 1 /dev/zero');
  t.not(zero.status, 0, 'reading /dev/zero fails');
  t.match(zero.stderr, /Operation not permitted/, 'with EPERM');
  const nul = runIn(dir, 'cat /dev/null');
  t.equal(nul.status, 0, `reading /dev/null works ${nul.stderr}`);
  const write = runIn(dir, 'sh -c "echo x > /dev/null"');
  t.equal(write.status, 0, `writing /dev/null works ${write.stderr}`);

  native.attachDeviceProgram(dir, compileDeviceProgram(ALLOW_ALL));
  const second = native.deviceProgramIds(dir);
  t.equal(second.length, 1, 'still one program: the old one was detached');
  t.not(second[0], first[0], 'and it is the new one');
  const again = runIn(dir, 'head -c 1 /dev/zero');
  t.equal(again.status, 0, `reading /dev/zero works now ${again.stderr}`);
  t.equal(again.stdout, '\0', 'one zero byte');
});

t.test('refused programs and missing cgroups', { skip }, async (t) => {
  const dir = testCgroup(t);
  native.attachDeviceProgram(dir, compileDeviceProgram(NULL_ONLY));
  const before = native.deviceProgramIds(dir);
  const fds = openFds();

  t.throws(() => native.attachDeviceProgram(dir, RETURNS_5), {
    code: 'EINVAL',
    errno: -22,
    syscall: 'bpf BPF_PROG_LOAD',
    path: dir,
    message: /^EINVAL: .*, bpf BPF_PROG_LOAD '.*': verifier: [^]*R0 .*should have been in/,
  }, 'a return value outside [0, 1]: the verifier says so');
  t.throws(() => native.attachDeviceProgram(dir, BAD_OPCODE), { code: 'EINVAL', message: /verifier: [^]*unknown opcode ff/ }, 'an unknown opcode');
  t.same(native.deviceProgramIds(dir), before, 'the attached program stays after a refusal');

  const missing = path.join(dir, 'no-such-cgroup');
  t.throws(() => native.attachDeviceProgram(missing, compileDeviceProgram(ALLOW_ALL)), { code: 'ENOENT', errno: -2, syscall: 'open', path: missing }, 'attach: ENOENT with the path');
  t.throws(() => native.deviceProgramIds(missing), { code: 'ENOENT', syscall: 'open', path: missing }, 'query: ENOENT with the path');
  t.throws(() => native.deviceProgramIds('/proc/self/status'), { code: 'ENOTDIR' }, 'not a directory');
  t.throws(() => native.deviceProgramIds('/proc'), { code: 'EBADF', syscall: 'bpf BPF_PROG_QUERY' }, 'a directory, but not a cgroup2 one');

  t.throws(() => native.attachDeviceProgram(dir, 'r0 = 1' as unknown as Buffer), TypeError, 'insns must be a Buffer');
  t.throws(() => native.attachDeviceProgram(dir, Buffer.alloc(12)), TypeError, 'whole instructions');
  t.throws(() => native.attachDeviceProgram(dir, Buffer.alloc(0)), TypeError, 'at least one');

  t.same(openFds(), fds, 'every fd closed on every path');
});

t.test('podman\'s default rules in the kernel', { skip }, async (t) => {
  const dir = testCgroup(t);
  const nodes = fs.mkdtempSync('/tmp/ociish-bpf-nodes-');
  t.teardown(() => fs.rmSync(nodes, { recursive: true, force: true }));
  const loop = path.join(nodes, 'loop');

  native.attachDeviceProgram(dir, compileDeviceProgram(PODMAN_RULES));
  const full = runIn(dir, 'head -c 1 /dev/full');
  t.equal(full.status, 0, `c 1:7 (full) is allowed ${full.stderr}`);
  const kmsg = runIn(dir, 'sh -c ": < /dev/kmsg"');
  t.match(kmsg.stderr, /Operation not permitted/, 'c 1:11 (kmsg) is not');
  const mknod = runIn(dir, `mknod ${loop} b 7 0`);
  t.equal(mknod.status, 0, `mknod of a block device is allowed (b *:* m) ${mknod.stderr}`);
  const open = runIn(dir, `sh -c ": < ${loop}"`);
  t.match(open.stderr, /Operation not permitted/, 'opening it is not');

  native.attachDeviceProgram(dir, compileDeviceProgram(ALLOW_ALL));
  const opened = runIn(dir, `sh -c ": < ${loop}"`);
  t.equal(opened.status, 0, `with everything allowed, it opens ${opened.stderr}`);
});

t.test('the verifier accepts every shape the compiler emits', { skip }, async (t) => {
  const dir = testCgroup(t);
  const random = prng(0xdec);
  const refused: string[] = [];
  for (let n = 0; n < 200; n++) {
    const rules = randomRules(random);
    try {
      native.attachDeviceProgram(dir, compileDeviceProgram(rules));
    } catch (e) {
      refused.push(`${JSON.stringify(rules)}: ${(e as Error).message}`);
    }
  }
  t.same(refused.slice(0, 3), [], `200 random rule lists load and attach (${refused.length} refused)`);
  t.equal(native.deviceProgramIds(dir).length, 1, 'one program attached after 200 updates');
});
