// The bundles a bench runs: the default one (the example busybox bundle
// running /bin/true with `ociish spec`'s config, or the user's), its minimal
// variant, and the copies runc, crun & co. get.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildExampleBundle } from '../bundle/example';

export type VariantName = 'default' | 'minimal';

export interface Variant {
  name: VariantName;
  /** What the container does, in a line. */
  description: string;
  bundle: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  config: Record<string, any>;
}

/**
 * The minimal variant, DESIGN.md's floor: pid, mount, uts and ipc namespaces;
 * the rootfs bound (writable: no read-only remount); /proc; pivot_root; the
 * hostname; exec. No network namespace, no /dev tmpfs (the runtime's default
 * device nodes and links go into the rootfs's own /dev, made on first use),
 * no capabilities, rlimits, no_new_privs, masked or read-only paths, seccomp
 * or resources. A cgroup is still made unless the method says otherwise.
 */
export const MINIMAL_DESCRIPTION =
  '4 namespaces (pid, mount, uts, ipc), bind rootfs (writable), /proc, the default /dev nodes in the rootfs, pivot_root, hostname, exec';

export async function defaultVariant(workDir: string, userBundle: string | undefined): Promise<Variant> {
  if (userBundle) {
    const bundle = path.resolve(userBundle);
    const config = readConfig(bundle);
    return { name: 'default', bundle, config, description: `${bundle}: ${JSON.stringify(config.process?.args ?? [])}` };
  }
  const bundle = path.join(workDir, 'default');
  const built = await buildExampleBundle(bundle, { args: ['/bin/true'] });
  return { name: 'default', bundle, config: readConfig(bundle), description: `/bin/true in a ${built.source} bundle, \`ociish spec\`'s default config` };
}

export function minimalVariant(workDir: string, base: Variant): Variant {
  const bundle = path.join(workDir, 'minimal');
  fs.mkdirSync(bundle, { recursive: true });
  const process = base.config.process ?? {};
  const config = {
    ociVersion: base.config.ociVersion,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: process.args,
      env: process.env ?? ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: process.cwd ?? '/',
    },
    root: { path: rootfsOf(base), readonly: false },
    hostname: 'ociish-bench',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: ['pid', 'mount', 'uts', 'ipc'].map((type) => ({ type })) },
  };
  writeConfig(bundle, config);
  return { name: 'minimal', bundle, config, description: MINIMAL_DESCRIPTION };
}

/**
 * Copies of a variant's config for another runtime, one per concurrent
 * worker: the rootfs path made absolute, an ociVersion crun 1.8 knows (it
 * refuses 1.3.0), and an absolute cgroupsPath under a parent of the bench's
 * own. Without one runc and crun would make their cgroups below their own
 * cgroup, which on our machines is the management group. A worker runs one
 * container at a time, so its cgroup is free again for its next one.
 *
 * Without a /dev mount (the minimal variant) a runtime makes its device nodes
 * and links in the rootfs's own /dev, and runc does so by remove + create:
 * concurrent runc containers on one rootfs then fail with EEXIST. Each worker
 * gets its own rootfs then, a hard-linked copy (cp -al), shared by the
 * runtimes, which never run at the same time.
 */
export class ExternalBundles {
  private readonly made = new Map<string, string>();
  private readonly rootfsCopies = new Map<string, string>();

  constructor(private readonly dir: string, readonly cgroupParent: string) {}

  bundle(runtime: string, variant: Variant, worker: number): string {
    const name = `${runtime}-${variant.name}-${worker}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    let bundle = this.made.get(name);
    if (bundle) return bundle;
    bundle = path.join(this.dir, name);
    fs.mkdirSync(bundle, { recursive: true });
    const config = structuredClone(variant.config);
    config.ociVersion = '1.0.2';
    config.root = { ...config.root, path: hasDevMount(variant) ? rootfsOf(variant) : this.rootfsCopy(variant, worker) };
    config.linux = { ...config.linux, cgroupsPath: `/${this.cgroupParent}/${name}` };
    writeConfig(bundle, config);
    this.made.set(name, bundle);
    return bundle;
  }

  private rootfsCopy(variant: Variant, worker: number): string {
    const key = `${variant.name}-${worker}`;
    let copy = this.rootfsCopies.get(key);
    if (!copy) {
      copy = path.join(this.dir, `rootfs-${key}`);
      execFileSync('cp', ['-al', rootfsOf(variant), copy]);
      this.rootfsCopies.set(key, copy);
    }
    return copy;
  }
}

function hasDevMount(variant: Variant): boolean {
  return (variant.config.mounts ?? []).some((m: { destination?: string }) => path.posix.normalize(m.destination ?? '').replace(/\/+$/, '') === '/dev');
}

function rootfsOf(variant: Variant): string {
  return path.resolve(variant.bundle, variant.config.root?.path ?? 'rootfs');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readConfig(bundle: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
}

function writeConfig(bundle: string, config: object): void {
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}
