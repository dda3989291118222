import t, { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSpec, writeDefaultSpec } from '../../lib/bundle/default-spec';
import { isStaticElf, readElf } from '../../lib/bundle/elf';
import { buildExampleBundle } from '../../lib/bundle/example';

const isRoot = process.getuid?.() === 0;
const runc = which('runc');
const noRunc = runc === null ? 'runc is not on PATH' : false;
let staticBusybox: string | false = false;
for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
  try {
    if (!staticBusybox && isStaticElf(p)) staticBusybox = p;
  } catch {
    // not installed
  }
}

function which(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return path.join(dir, name);
    } catch {
      // next
    }
  }
  return null;
}

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-bundle-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `runc spec [args]` in a fresh directory and returns the parsed config.json. */
function runcSpec(t: Test, args: string[]): any {
  const dir = tempDir(t);
  execFileSync(runc!, ['spec', ...args], { cwd: dir });
  return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
}

/**
 * runc's output with ociish's documented differences applied, plus the
 * changes between the installed runc and current runc (which ociish follows).
 */
function expectedFromRunc(t: Test, runcOut: any): any {
  const want = structuredClone(runcOut);
  want.ociVersion = '1.3.0';
  want.process.terminal = false;
  want.hostname = 'ociish';
  // runc < 1.2 listed ambient capabilities without inheritable ones (the kernel refuses those).
  if (want.process.capabilities.ambient && !want.process.capabilities.inheritable) {
    t.comment('installed runc lists ambient capabilities (runc < 1.2); current runc does not');
    delete want.process.capabilities.ambient;
  }
  if (!want.linux.maskedPaths.includes('/sys/devices/virtual/tpm')) {
    t.comment('installed runc does not mask /sys/devices/virtual/tpm; current runc does');
    want.linux.maskedPaths.push('/sys/devices/virtual/tpm');
  }
  return want;
}

/** Follows symlinks of a path inside rootfs, resolving each target inside rootfs; returns the final path. */
function resolveInRootfs(rootfs: string, rel: string): string {
  let p = path.join(rootfs, rel);
  for (let hops = 0; hops < 40; hops++) {
    const st = fs.lstatSync(p);
    if (!st.isSymbolicLink()) return p;
    const target = fs.readlinkSync(p);
    p = target.startsWith('/') ? path.join(rootfs, target) : path.resolve(path.dirname(p), target);
    if (p !== rootfs && !p.startsWith(rootfs + '/')) throw new Error(`${rel} resolves outside the rootfs: ${p}`);
  }
  throw new Error(`${rel}: too many symlinks`);
}

t.test('defaultSpec: documented differences from runc', async (t) => {
  const spec = defaultSpec() as any;
  t.equal(spec.ociVersion, '1.3.0');
  t.equal(spec.process.terminal, false);
  t.equal(spec.hostname, 'ociish');
  t.same(spec.linux.resources, { devices: [{ allow: false, access: 'rwm' }] }, 'every device denied but the defaults, as runc');
  t.same(spec.process.args, ['sh']);
  t.notOk(spec.linux.namespaces.some((n: any) => n.type === 'user'), 'no user namespace by default');

  const custom = defaultSpec({ args: ['/bin/true'], hostname: 'box' }) as any;
  t.same(custom.process.args, ['/bin/true']);
  t.equal(custom.hostname, 'box');

  // Each call returns a fresh object: mutating one does not leak into the next.
  spec.process.capabilities.bounding.push('CAP_SYS_ADMIN');
  spec.mounts.pop();
  t.same(defaultSpec(), defaultSpec({ args: ['sh'] }));
  t.equal((defaultSpec() as any).process.capabilities.bounding.length, 3);

  t.ok((defaultSpec({ cgroupNamespace: true }) as any).linux.namespaces.some((n: any) => n.type === 'cgroup'));
  t.notOk((defaultSpec({ cgroupNamespace: false }) as any).linux.namespaces.some((n: any) => n.type === 'cgroup'));
});

t.test('defaultSpec matches `runc spec`', { skip: noRunc }, async (t) => {
  t.strictSame(defaultSpec(), expectedFromRunc(t, runcSpec(t, [])));
});

t.test('defaultSpec({ rootless: true }) matches `runc spec --rootless`', { skip: noRunc }, async (t) => {
  const spec = defaultSpec({ rootless: true }) as any;
  t.strictSame(spec, expectedFromRunc(t, runcSpec(t, ['--rootless'])));
  // Checked directly too, so a runc with other rules cannot hide a mistake here.
  t.same(spec.linux.uidMappings, [{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
  t.same(spec.linux.gidMappings, [{ containerID: 0, hostID: process.getegid!(), size: 1 }]);
  t.notOk(spec.linux.namespaces.some((n: any) => n.type === 'network'), 'no network namespace');
  t.equal(spec.linux.namespaces.at(-1).type, 'user');
  t.same(spec.mounts.find((m: any) => m.destination === '/sys').options, ['rbind', 'nosuid', 'noexec', 'nodev', 'ro']);
});

t.test('writeDefaultSpec writes config.json and refuses to overwrite it', async (t) => {
  const dir = tempDir(t);
  const file = writeDefaultSpec(dir, { args: ['true'] });
  t.equal(file, path.join(dir, 'config.json'));
  const text = fs.readFileSync(file, 'utf8');
  t.same(JSON.parse(text), defaultSpec({ args: ['true'] }));
  t.match(text, /^\{\n {2}"ociVersion": "1\.3\.0",/, 'pretty-printed with 2 spaces');

  t.throws(() => writeDefaultSpec(dir), { message: `${file} already exists; remove it first` });
  t.equal(fs.readFileSync(file, 'utf8'), text, 'existing file left untouched');
  t.throws(() => writeDefaultSpec(path.join(dir, 'missing')), { code: 'ENOENT' });
});

t.test('ELF parser', async (t) => {
  t.test('static busybox', { skip: fs.existsSync('/bin/busybox') ? false : '/bin/busybox is not installed' }, async (t) => {
    const elf = readElf('/bin/busybox');
    t.equal(elf.interpreter, null);
    t.equal(isStaticElf('/bin/busybox'), true);
  });
  t.test('dynamic ls', async (t) => {
    const elf = readElf('/bin/ls');
    t.match(elf.interpreter, /^\/.*ld.*\.so/, 'names its loader');
    t.equal(elf.bits, 64);
    t.equal(isStaticElf('/bin/ls'), false);
  });
  t.test('non-ELF and truncated files', async (t) => {
    const dir = tempDir(t);
    const text = path.join(dir, 'script');
    fs.writeFileSync(text, '#!/bin/sh\necho hi\n');
    t.throws(() => readElf(text), { message: `${text}: not an ELF file` });
    t.throws(() => isStaticElf(text), /not an ELF file/);
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '');
    t.throws(() => readElf(empty), /not an ELF file/);
    const truncated = path.join(dir, 'truncated');
    fs.writeFileSync(truncated, fs.readFileSync('/bin/ls').subarray(0, 40));
    t.throws(() => readElf(truncated), /truncated/);
  });
});

/** The checks common to both ways of building: layout, /bin/sh, config.json, and a run in a chroot. */
async function checkBundle(t: Test, dir: string, rootfs: string): Promise<void> {
  t.equal(rootfs, path.join(dir, 'rootfs'));
  for (const d of ['bin', 'sbin', 'usr/bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var']) {
    t.ok(fs.lstatSync(path.join(rootfs, d)).isDirectory(), `${d} is a directory`);
  }
  t.equal(fs.statSync(path.join(rootfs, 'tmp')).mode & 0o7777, 0o1777, 'tmp is 1777');
  t.match(fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:.*\nnobody:x:65534:65534:/);
  t.match(fs.readFileSync(path.join(rootfs, 'etc/group'), 'utf8'), /^tty:x:5:$/m);
  t.equal(fs.readFileSync(path.join(rootfs, 'etc/hostname'), 'utf8'), 'ociish\n');

  const sh = resolveInRootfs(rootfs, 'bin/sh');
  t.ok(fs.statSync(sh).isFile(), `bin/sh resolves to ${path.relative(rootfs, sh)} inside the rootfs`);

  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  t.same(config, defaultSpec({ args: ['sh', '-c', 'echo "hello from $(hostname), pid $$, uid $(id -u)"'] }));

  if (!isRoot) return void t.pass('chroot rootfs /bin/sh', { skip: 'chroot needs root' });
  const out = execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'echo ok'], { encoding: 'utf8' });
  t.equal(out, 'ok\n', 'chroot rootfs /bin/sh -c "echo ok"');
  // The example's own command uses hostname and id as well.
  const hello = execFileSync('chroot', [rootfs, ...config.process.args], { encoding: 'utf8', env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin' } });
  t.match(hello, /^hello from .+, pid \d+, uid 0\n$/);
}

t.test('buildExampleBundle with the host busybox', { skip: staticBusybox ? false : 'no static busybox on this host' }, async (t) => {
  const dir = path.join(tempDir(t), 'bundle');
  const { rootfs, source } = await buildExampleBundle(dir);
  t.equal(source, 'busybox');
  t.equal(fs.readlinkSync(path.join(rootfs, 'bin/sh')), 'busybox', 'relative applet link');
  t.equal(resolveInRootfs(rootfs, 'usr/bin/wc'), path.join(rootfs, 'bin/busybox'));
  await checkBundle(t, dir, rootfs);

  // Rebuilding into the same directory works and replaces what is there.
  fs.rmSync(path.join(rootfs, 'bin/sh'));
  fs.writeFileSync(path.join(rootfs, 'bin/ls'), 'stale');
  const again = await buildExampleBundle(dir, { args: ['true'] });
  t.equal(again.source, 'busybox');
  t.equal(fs.readlinkSync(path.join(rootfs, 'bin/ls')), 'busybox');
  t.same(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).process.args, ['true']);
});

t.test('buildExampleBundle from host binaries (no busybox)', async (t) => {
  const dir = path.join(tempDir(t), 'bundle');
  const { rootfs, source } = await buildExampleBundle(dir, { busyboxCandidates: [] });
  t.equal(source, 'host-binaries');
  t.notOk(fs.existsSync(path.join(rootfs, 'bin/busybox')));
  t.ok(fs.lstatSync(path.join(rootfs, 'bin/sh')).isFile(), 'bin/sh is a copy, not a link to the host');
  // The loader the host sh names is at the same path inside the rootfs.
  const interp = readElf(path.join(rootfs, 'bin/sh')).interpreter;
  if (interp !== null) t.ok(fs.statSync(path.join(rootfs, interp)).isFile(), `${interp} copied`);
  await checkBundle(t, dir, rootfs);

  // Idempotent, also when switching from busybox links to copies.
  fs.rmSync(path.join(rootfs, 'bin/cat'));
  fs.symlinkSync('/nonexistent', path.join(rootfs, 'bin/cat'));
  await buildExampleBundle(dir, { busyboxCandidates: [] });
  t.ok(fs.lstatSync(path.join(rootfs, 'bin/cat')).isFile(), 'stale symlink replaced by the binary');
});

t.test('buildExampleBundle refuses to write through a directory symlink', async (t) => {
  const dir = tempDir(t);
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside);
  fs.mkdirSync(path.join(dir, 'bundle/rootfs'), { recursive: true });
  fs.symlinkSync(outside, path.join(dir, 'bundle/rootfs/etc'));
  await t.rejects(buildExampleBundle(path.join(dir, 'bundle'), { busyboxCandidates: [] }), /etc exists and is not a directory/);
  t.same(fs.readdirSync(outside), [], 'nothing written outside the rootfs');
});

t.test('buildExampleBundle without busybox or sh fails clearly', async (t) => {
  const dir = tempDir(t);
  const emptyBin = path.join(dir, 'empty-bin');
  fs.mkdirSync(emptyBin);
  await t.rejects(buildExampleBundle(path.join(dir, 'bundle'), { busyboxCandidates: [], searchPath: [emptyBin] }), {
    message: `cannot build an example bundle: no static busybox, and no sh in ${emptyBin}`,
  });
});
