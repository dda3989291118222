// What `runc spec` writes, run by ociish: its terminal fails without a
// console socket, and once that is out of the way, it runs as is (its device
// rules included) and is checked from inside in one container.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exampleBundle, ociish, rootSkip, stateRoot, tempDir, uniqueId, type Config } from '../helpers/container';

function which(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const file = path.join(dir || '.', name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return null;
}

const runc = which('runc');
const noRunc: string | false = runc === null ? 'runc is not installed (runc spec writes the config under test)' : false;

/** `runc spec` in a fresh bundle dir (only `spec`: no runc container is ever run), root.path at the example rootfs. */
async function runcSpecBundle(): Promise<{ dir: string; config: Config }> {
  const { rootfs } = await exampleBundle();
  const dir = tempDir('runcspec');
  execFileSync(runc!, ['spec'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Config;
  config.root.path = rootfs;
  return { dir, config };
}

function save(dir: string, config: Config): void {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, '\t'));
}

/** Bits of linux/capability.h: CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_AUDIT_WRITE 29. */
const RUNC_CAPS = ((1n << 5n) | (1n << 10n) | (1n << 29n)).toString(16).padStart(16, '0');

// The checks, one per line as "name=value"; mountinfo follows a marker.
const SCRIPT = [
  'echo "pid=$$"',
  'echo "hostname=$(hostname)"',
  'echo "root=$(touch /.ociish-rw-probe 2>&1)"',
  "for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs; do echo \"$f=$(grep \"^$f:\" /proc/self/status | cut -f2)\"; done",
  'echo "nofile=$(ulimit -n)/$(ulimit -Hn)"',
  // Masked paths bind /dev/null (files) or an empty read-only tmpfs (dirs); a
  // path the host kernel does not have (kcore without CONFIG_PROC_KCORE) reads as empty too.
  'echo "kcore=$(cat /proc/kcore 2>/dev/null | wc -c)"',
  'if [ -e /proc/keys ]; then echo "keys=$(wc -c < /proc/keys) $(stat -c %t:%T /proc/keys)"; else echo keys=absent; fi',
  'if [ -e /proc/timer_list ]; then echo "timer_list=$(stat -c %t:%T /proc/timer_list)"; else echo timer_list=absent; fi',
  'if [ -e /proc/acpi ]; then echo "acpi=$(ls -A /proc/acpi | wc -l)"; else echo acpi=absent; fi',
  // (Same value: harmless if it were writable. /proc/sysrq-trigger is only
  // checked in mountinfo: a write there would act on the host.)
  'echo "procsys=$( (echo runc > /proc/sys/kernel/hostname) 2>&1)"',
  'echo "user=$(id -u):$(id -g)"',
  'echo "cwd=$(pwd)"',
  'echo @@mountinfo',
  'cat /proc/self/mountinfo',
].join('; ');

interface MountEntry {
  point: string;
  options: string;
  fstype: string;
}

function parseMountinfo(lines: string[]): MountEntry[] {
  return lines.map((line) => {
    const [left, right] = line.split(' - ');
    const f = left!.split(' ');
    return { point: f[4]!, options: f[5]!, fstype: right!.split(' ')[0]! };
  });
}

t.test('runc spec: runs with its terminal proxied, and with terminal false', { skip: rootSkip || noRunc }, async (t) => {
  const { dir, config } = await runcSpecBundle();
  t.equal(config.process.terminal, true, 'runc spec asks for a terminal');
  t.ok(config.linux.resources, 'runc spec has linux.resources');
  t.ok(config.process.capabilities.ambient?.length && !config.process.capabilities.inheritable?.length, 'runc spec lists ambient capabilities without inheritable ones');

  // 1. As written: a terminal and no --console-socket: ociish proxies the pty, as runc does.
  config.process.args = ['sh', '-c', 'tty; echo on-the-pty'];
  save(dir, config);
  const asIs = ociish(['run', '--bundle', dir, uniqueId('runcspec')]);
  t.equal(asIs.status, 0, `runs with its terminal (stderr: ${asIs.stderr.trim() || '-'})`);
  t.match(asIs.stdout, /^\/dev\/pts\/0\r?\n/, "tty: the container's own pty");
  t.match(asIs.stdout, /^on-the-pty\r?$/m, 'its output reached our stdout through the pty (CRLF: the pty is in cooked mode)');

  // 2. terminal false: it runs; everything is checked in one container.
  config.process.terminal = false;
  config.process.args = ['sh', '-c', SCRIPT];
  save(dir, config);
  const id = uniqueId('runcspec');
  const r = ociish(['run', '--bundle', dir, id]);
  t.equal(r.status, 0, `runs (stderr: ${r.stderr.trim() || '-'})`);

  // The one warning: runc spec's ambient caps cannot be raised without inheritable ones.
  const stderrLines = r.stderr.split('\n').filter((l) => l !== '');
  t.equal(stderrLines.length, 1, 'exactly one line on stderr');
  t.match(stderrLines[0], /^ociish: warning: \/process\/capabilities\/ambient: (CAP_[A-Z_]+, ){2}CAP_[A-Z_]+ not raised: an ambient capability must also be permitted and inheritable$/);
  for (const cap of ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']) t.match(stderrLines[0], cap, `the warning names ${cap}`);

  const [head, mountText = ''] = r.stdout.split('@@mountinfo\n');
  const values = Object.fromEntries(head!.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  t.same(values, {
    pid: '1',
    hostname: 'runc',
    root: 'touch: /.ociish-rw-probe: Read-only file system',
    CapInh: '0000000000000000',
    CapPrm: RUNC_CAPS,
    CapEff: RUNC_CAPS,
    CapBnd: RUNC_CAPS,
    CapAmb: '0000000000000000',
    NoNewPrivs: '1',
    nofile: '1024/1024',
    kcore: '0',
    // Masked files are the real /dev/null (1:3); a masked dir is empty. A
    // path the host's /proc does not have is skipped, as runc does.
    keys: fs.existsSync('/proc/keys') ? '0 1:3' : 'absent',
    timer_list: fs.existsSync('/proc/timer_list') ? '1:3' : 'absent',
    acpi: fs.existsSync('/proc/acpi') ? '0' : 'absent',
    procsys: 'sh: can\'t create /proc/sys/kernel/hostname: Read-only file system',
    user: '0:0',
    cwd: '/',
  }, 'pid 1, hostname runc, / read-only, caps AUDIT_WRITE|KILL|NET_BIND_SERVICE, no_new_privs, nofile 1024, masked and read-only /proc paths');
  t.equal(RUNC_CAPS, '0000000020000420');

  const mounts = parseMountinfo(mountText.split('\n').filter((l) => l !== ''));
  const at = (p: string) => mounts.filter((m) => m.point === p);
  t.match(at('/')[0]?.options ?? '', /(^|,)ro(,|$)/, '/ is mounted read-only');
  const expected: [string, string][] = [
    ['/proc', 'proc'],
    ['/dev', 'tmpfs'],
    ['/dev/pts', 'devpts'],
    ['/dev/shm', 'tmpfs'],
    ['/dev/mqueue', 'mqueue'],
    ['/sys', 'sysfs'],
  ];
  for (const [point, fstype] of expected) t.equal(at(point).at(-1)?.fstype, fstype, `${point} is ${fstype}`);
  t.ok(at('/sys/fs/cgroup').length > 0, '/sys/fs/cgroup is mounted');
  t.match(at('/sys')[0]?.options ?? '', /(^|,)ro(,|$)/, '/sys is read-only');
  for (const p of config.linux.readonlyPaths as string[]) {
    if (!fs.existsSync(p)) continue; // not on this host's kernel (e.g. no CONFIG_MAGIC_SYSRQ): skipped, as runc does
    t.match(at(p).at(-1)?.options ?? '', /(^|,)ro(,|$)/, `${p} is a read-only bind`);
  }

  t.notOk(fs.existsSync(path.join(stateRoot, id)), 'no state dir left');
  const { rootfs } = await exampleBundle();
  fs.rmSync(path.join(rootfs, '.ociish-rw-probe'), { force: true }); // only there if / was writable
});
