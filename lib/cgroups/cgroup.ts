// A container's cgroup: one directory per hierarchy of the host. Creates it,
// applies linux.resources, puts processes in it, freezes, kills, updates and
// removes it. Works the same on v2, hybrid and v1 hosts; the files come from
// the entries/placement modules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StepError } from '../errors';
import type { CgroupJoin } from '../plan';
import type { Resources, Spec } from '../spec';
import { stepErrorOf } from '../system-error';
import { native } from '../native';
import { compileDeviceProgram } from './device-program';
import { deviceEntriesV1, type DeviceRule, type SourcedDeviceRule } from './device-rules';
import type { CgroupWrite } from './entries';
import { hostCgroupLayout, type CgroupHierarchy, type CgroupLayout } from './hierarchies';
import { kernelIO, type CgroupIO } from './io';
import { containerCgroupDirs, type ContainerCgroupDir } from './paths';
import { controllerHierarchies, placeResources } from './placement';
import { keyValues, readStats, type CgroupStats } from './stats';

/** How long remove() waits for the last processes to leave before giving up. */
const REMOVE_TIMEOUT_MS = 5000;
const FREEZE_TIMEOUT_MS = 5000;

export class Cgroup {
  readonly dirs: readonly ContainerCgroupDir[];
  /** The container's directory for each controller the host has. */
  private readonly byController = new Map<string, ContainerCgroupDir>();

  constructor(
    readonly layout: CgroupLayout,
    dirs: ContainerCgroupDir[],
    private readonly io: CgroupIO = kernelIO,
  ) {
    this.dirs = dirs;
    for (const [controller, h] of controllerHierarchies(layout)) {
      const d = dirs.find((x) => x.hierarchy === h);
      if (d) this.byController.set(controller, d);
    }
  }

  /** The cgroup a container's config asks for (not created yet). */
  static forContainer(spec: Spec, id: string, layout: CgroupLayout = hostCgroupLayout(), io?: CgroupIO): Cgroup {
    return new Cgroup(layout, containerCgroupDirs(layout, spec.linux?.cgroupsPath, id), io);
  }

  /** No cgroup of its own: the container's processes stay in their creator's (every operation is a no-op or refused). */
  static none(layout: CgroupLayout = hostCgroupLayout()): Cgroup {
    return new Cgroup(layout, []);
  }

  /** What the container's plan needs to know: whether the child waits to be put in v1 hierarchies, and the paths. */
  planJoin(): CgroupJoin {
    const v1Dirs = this.v1.map((d) => d.dir);
    return { sync: v1Dirs.length > 0, v1Dirs, paths: new Map(this.dirs.map((d) => [d.hierarchy.mountPoint, d.path])) };
  }

  /** The v2 directory, when the host has a v2 hierarchy. */
  get v2(): ContainerCgroupDir | undefined {
    return this.dirs.find((d) => d.hierarchy.version === 2);
  }

  /** The v1 directories: a process enters them by a write of its pid. */
  get v1(): ContainerCgroupDir[] {
    return this.dirs.filter((d) => d.hierarchy.version === 1);
  }

  private dirOf(controller: string): ContainerCgroupDir | undefined {
    return this.byController.get(controller);
  }

  /**
   * Creates the directories (parents as needed), enables the v2 controllers
   * down the path and gives new v1 cpusets their parent's cpus and mems.
   * Refuses a cgroup that already holds processes or is frozen. On failure
   * removes what it created.
   */
  create(): void {
    const created: string[] = [];
    try {
      for (const d of this.dirs) {
        const made = d.hierarchy.version === 2 ? this.makeV2Dir(d, created) : this.makeDir(d.dir, d.hierarchy, created);
        // A cgroup made just now is empty; one that was there may not be.
        if (!made) this.checkFitForUse(d);
      }
    } catch (e) {
      for (const dir of created.reverse()) this.tryRmdir(dir);
      throw e;
    }
  }

  /** v2: down the path, each ancestor (an existing one too) passes its controllers on before the next level is made. */
  private makeV2Dir(d: ContainerCgroupDir, created: string[]): boolean {
    let dir = d.hierarchy.mountPoint;
    let made = false;
    for (const part of d.path.split('/').filter(Boolean)) {
      this.enableControllers(dir);
      dir = path.join(dir, part);
      // exists() first: a failed mkdir costs an exception, and the parents usually exist.
      made = !this.io.exists(dir) && this.mkdir(dir);
      if (made) created.push(dir);
    }
    return made;
  }

  /**
   * v1: mkdir of the cgroup itself first (its parents usually exist: one
   * syscall), its missing parents only on ENOENT. false when it was there.
   */
  private makeDir(dir: string, h: CgroupHierarchy, created: string[]): boolean {
    let made: boolean;
    try {
      made = this.io.mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(dir) === h.mountPoint) throw stepErrorOf('create cgroup', e, '/linux/cgroupsPath');
      this.makeDir(path.dirname(dir), h, created);
      made = this.mkdir(dir);
    }
    if (!made) return false;
    created.push(dir);
    if (h.version === 1 && h.controllers.includes('cpuset')) this.inheritCpuset(path.dirname(dir), dir);
    return true;
  }

  private mkdir(dir: string): boolean {
    try {
      return this.io.mkdir(dir);
    } catch (e) {
      throw stepErrorOf('create cgroup', e, '/linux/cgroupsPath');
    }
  }

  /** v2: a child cgroup gets a controller only when its parent's subtree_control has it. */
  private enableControllers(dir: string): void {
    const available = (this.io.read(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
    // A hybrid host's cgroup2 usually has none.
    if (available.length === 0) return;
    const enabled = new Set((this.io.read(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean));
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    const file = path.join(dir, 'cgroup.subtree_control');
    try {
      this.io.write(file, missing.map((c) => `+${c}`).join(' '));
    } catch {
      // One controller may be refused (e.g. cpu with realtime tasks around):
      // enable the others; a field that needs the refused one fails later, by name.
      for (const c of missing) {
        try {
          this.io.write(file, `+${c}`);
        } catch {
          // left disabled
        }
      }
    }
  }

  /** v1 cpuset: a new cgroup starts with no cpus and no mems, and takes no task until it has some. */
  private inheritCpuset(parent: string, dir: string): void {
    // Written even when cgroup.clone_children copied them already: the same value.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const value = (this.io.read(path.join(parent, file)) ?? '').trim();
      try {
        this.io.write(path.join(dir, file), value);
      } catch (e) {
        throw stepErrorOf('write', e, '/linux/cgroupsPath');
      }
    }
  }

  /** A cgroup that already runs something, or is frozen, is not the container's to take. */
  private checkFitForUse(d: ContainerCgroupDir): void {
    const procs = (this.io.read(path.join(d.dir, 'cgroup.procs')) ?? '').trim();
    if (procs) {
      throw new StepError('create cgroup', d.dir, '/linux/cgroupsPath', 'EBUSY', 16, `the cgroup already has processes (${procs.split('\n').length})`);
    }
    const frozen = d.hierarchy.version === 2 ? /^frozen 1$/m.test(this.io.read(path.join(d.dir, 'cgroup.events')) ?? '') : this.freezerState(d) === 'FROZEN';
    if (frozen) throw new StepError('create cgroup', d.dir, '/linux/cgroupsPath', 'EBUSY', 16, 'the cgroup is frozen');
  }

  private freezerState(d: ContainerCgroupDir): string | undefined {
    if (!d.hierarchy.controllers.includes('freezer')) return undefined;
    return this.io.read(path.join(d.dir, 'freezer.state'))?.trim();
  }

  /** Throws the ConfigError of the first field this host cannot honour, before anything is created. */
  check(resources: Resources): void {
    placeResources(resources, this.layout);
  }

  /** Writes linux.resources (a whole config or an update's part) and the device rules. */
  apply(resources: Resources, devices?: readonly SourcedDeviceRule[]): void {
    const current = (controller: string, file: string) => {
      const d = this.dirOf(controller);
      return d && this.io.read(path.join(d.dir, file));
    };
    const writes = placeResources(resources, this.layout, current);
    for (const w of writes) this.writeEntry(this.dirs.find((d) => d.hierarchy === w.hierarchy)!, w);
    if (devices) this.applyDevices(devices, resources.devices !== undefined);
  }

  /** Writes the first candidate file that exists (a missing one fails with ENOENT: no stat first). */
  private writeEntry(d: ContainerCgroupDir, w: CgroupWrite): void {
    for (const c of w.candidates) {
      if (this.tryWrite(path.join(d.dir, c.file), c.value, 'write', w.pointer)) return;
    }
    if (w.ifExists) return;
    const files = w.candidates.map((c) => c.file).join(' or ');
    throw new StepError('write', path.join(d.dir, w.candidates[0]!.file), w.pointer, 'ENOENT', 2, `the host's ${d.hierarchy.version === 2 ? 'cgroup v2' : 'cgroup v1'} ${w.controller} controller has no ${files}`);
  }

  /** false when the file does not exist; any other failure throws, named after `operation`. */
  private tryWrite(file: string, value: string, operation: string, pointer?: string): boolean {
    try {
      this.io.write(file, value);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw stepErrorOf(operation, e, pointer);
    }
  }

  /**
   * The v1 devices controller when the host has one; otherwise (pure v2) an
   * eBPF program on the v2 cgroup. A host with neither can only honour the
   * default of allowing everything, so explicit rules are refused there.
   */
  private applyDevices(rules: readonly SourcedDeviceRule[], explicit: boolean): void {
    const v1 = this.dirOf('devices');
    if (v1) {
      for (const w of deviceEntriesV1(rules, this.layout.mode)) this.writeEntry(v1, w);
      return;
    }
    const v2 = this.v2;
    if (v2) return attachDeviceFilter(v2.dir, rules);
    if (explicit) throw new StepError('apply device rules', undefined, '/linux/resources/devices', 'ENOTSUP', 95, `the host has no devices controller and no cgroup v2 hierarchy (host cgroup mode: ${this.layout.mode})`);
  }

  /**
   * Cgroup delegation (config-linux.md): on a pure v2 host, a container with
   * its own user and cgroup namespaces and a writable /sys/fs/cgroup gets
   * its cgroup directory and the files the kernel lists as delegatable
   * owned by its root, so that it can manage its own sub-cgroups.
   */
  delegateTo(owner: { uid: number; gid: number }): void {
    const v2 = this.v2;
    if (!v2 || this.layout.mode !== 'unified') return;
    const listed = this.io.read('/sys/kernel/cgroup/delegate');
    const files = listed ? listed.split('\n').filter(Boolean) : ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'];
    try {
      this.io.chown(v2.dir, owner.uid, owner.gid);
      for (const f of files) if (this.io.exists(path.join(v2.dir, f))) this.io.chown(path.join(v2.dir, f), owner.uid, owner.gid);
    } catch (e) {
      throw stepErrorOf('delegate cgroup', e, '/linux/uidMappings');
    }
  }

  /** Puts a process in every v1 directory (v2: it was born there with CLONE_INTO_CGROUP). */
  joinV1(pid: number): void {
    for (const d of this.v1) this.addProcess(d, pid);
  }

  /** Puts a process in every directory (an exec'd process, or a child spawned without CLONE_INTO_CGROUP). */
  join(pid: number): void {
    for (const d of this.dirs) this.addProcess(d, pid);
  }

  private addProcess(d: ContainerCgroupDir, pid: number): void {
    try {
      this.io.write(path.join(d.dir, 'cgroup.procs'), String(pid));
    } catch (e) {
      throw stepErrorOf('join cgroup', e, '/linux/cgroupsPath');
    }
  }

  /** An fd of the v2 directory for CLONE_INTO_CGROUP (close it after the spawn), or -1. */
  openCloneFd(): number {
    const v2 = this.v2;
    if (!v2) return -1;
    try {
      return fs.openSync(v2.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (e) {
      throw stepErrorOf('open cgroup', e, '/linux/cgroupsPath');
    }
  }

  /** The directory that lists the container's processes best: v2 (the whole tree), else a v1 one. */
  private primary(): ContainerCgroupDir {
    return this.v2 ?? this.dirOf('freezer') ?? this.dirOf('pids') ?? this.dirs[0]!;
  }

  /** Every process in the cgroup and its descendants. */
  pids(): number[] {
    const out: number[] = [];
    const walk = (dir: string) => {
      // A create killed half way may have left some hierarchies without the directory.
      if (!this.io.exists(dir)) return;
      for (const line of (this.io.read(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) if (line.trim()) out.push(Number(line));
      for (const child of this.io.children(dir)) walk(path.join(dir, child));
    };
    if (this.dirs.length) walk(this.primary().dir);
    return out;
  }

  /**
   * The freezing mechanism: the v1 freezer where the host has one (hybrid
   * hosts too, as runc: tools read freezer.state there), else v2's cgroup.freeze.
   */
  private freezer(): { file: string; set: (on: boolean) => string; done: (on: boolean) => boolean } | undefined {
    const v1 = this.dirOf('freezer');
    if (v1 && v1.hierarchy.version === 1) {
      return {
        file: path.join(v1.dir, 'freezer.state'),
        set: (on) => (on ? 'FROZEN' : 'THAWED'),
        done: (on) => this.freezerState(v1) === (on ? 'FROZEN' : 'THAWED'),
      };
    }
    const v2 = this.v2;
    if (!v2 || !this.io.exists(path.join(v2.dir, 'cgroup.freeze'))) return undefined;
    return {
      file: path.join(v2.dir, 'cgroup.freeze'),
      set: (on) => (on ? '1' : '0'),
      done: (on) => new RegExp(`^frozen ${on ? 1 : 0}$`, 'm').test(this.io.read(path.join(v2.dir, 'cgroup.events')) ?? ''),
    };
  }

  /** Freezes (true) or thaws (false) every process, and waits until the kernel says it is done. */
  async setFrozen(on: boolean): Promise<void> {
    const f = this.freezer();
    if (!f) {
      const why = this.dirs.length ? `the host has no cgroup freezer (host cgroup mode: ${this.layout.mode})` : 'the container has no cgroup of its own (made with cgroup: false)';
      throw new StepError(on ? 'pause' : 'resume', undefined, undefined, 'ENOTSUP', 95, why);
    }
    const deadline = Date.now() + FREEZE_TIMEOUT_MS;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        // v1 may stay FREEZING while a task is busy in the kernel: asking again moves it on.
        this.io.write(f.file, f.set(on));
      } catch (e) {
        throw stepErrorOf(on ? 'pause' : 'resume', e);
      }
      if (f.done(on)) return;
      if (Date.now() > deadline) throw new StepError(on ? 'pause' : 'resume', f.file, undefined, 'ETIMEDOUT', 110, 'the cgroup did not settle');
      await sleep(delay);
    }
  }

  isFrozen(): boolean {
    return this.freezer()?.done(true) ?? false;
  }

  /**
   * Sends a signal to every process in the cgroup. SIGKILL uses v2's
   * cgroup.kill where there is one (no process can escape by forking);
   * otherwise the processes are frozen, signalled and thawed.
   */
  async killAll(signal: NodeJS.Signals | number = 'SIGKILL'): Promise<void> {
    const v2 = this.v2;
    const isKill = signal === 'SIGKILL' || signal === 9;
    if (isKill && v2 && this.tryWrite(path.join(v2.dir, 'cgroup.kill'), '1', 'kill')) return;
    // Freezing costs a few writes and waits: not worth it for an empty cgroup (a run that ended).
    if (this.pids().length === 0) return;
    const canFreeze = this.freezer() !== undefined;
    if (canFreeze) await this.setFrozen(true);
    try {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, signal);
        } catch {
          // exited meanwhile
        }
      }
    } finally {
      if (canFreeze) await this.setFrozen(false);
    }
  }

  /** Resource usage, in the shape of runc's `events --stats`. */
  stats(): CgroupStats {
    return readStats((c) => this.dirOf(c), this.io);
  }

  /** How many processes the OOM killer has killed in the container (v2 memory.events, v1 memory.oom_control); 0 without a memory controller. */
  oomKills(): number {
    const d = this.dirOf('memory');
    if (!d) return 0;
    const file = d.hierarchy.version === 2 ? 'memory.events' : 'memory.oom_control';
    return keyValues(this.io.read(path.join(d.dir, file)))['oom_kill'] ?? 0;
  }

  /** Applies part of linux.resources to a live container (`update`). */
  update(resources: Resources): void {
    if (resources.memory?.checkBeforeUpdate && resources.memory.limit !== undefined && resources.memory.limit >= 0) {
      const usage = this.memoryUsage();
      if (usage !== undefined && usage > resources.memory.limit) {
        throw new StepError('update', undefined, '/linux/resources/memory/limit', 'EBUSY', 16, `the container uses ${usage} bytes, more than the new limit ${resources.memory.limit}`);
      }
    }
    this.apply(resources, undefined);
  }

  private memoryUsage(): number | undefined {
    const d = this.dirOf('memory');
    if (!d) return undefined;
    const text = this.io.read(path.join(d.dir, d.hierarchy.version === 2 ? 'memory.current' : 'memory.usage_in_bytes'));
    return text === undefined ? undefined : Number(text.trim());
  }

  /**
   * Removes every directory (children first), waiting for exiting processes
   * to leave; throws if some are still there after the timeout.
   */
  async remove(): Promise<void> {
    const deadline = Date.now() + REMOVE_TIMEOUT_MS;
    for (const d of this.dirs) {
      for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
        const error = this.removeTree(d.dir);
        if (!error) break;
        if (error.code !== 'EBUSY' || Date.now() > deadline) throw stepErrorOf('remove cgroup', error);
        await sleep(delay);
      }
    }
  }

  /** rmdir of dir and its sub-cgroups; the first error, or null (also when it was gone). */
  private removeTree(dir: string): NodeJS.ErrnoException | null {
    let busy: NodeJS.ErrnoException;
    try {
      // rmdir first: sub-cgroups are rare, and their listing costs more than the rmdir.
      this.io.rmdir(dir);
      return null;
    } catch (e) {
      busy = e as NodeJS.ErrnoException;
      if (busy.code === 'ENOENT') return null;
      if (busy.code !== 'EBUSY' && busy.code !== 'ENOTEMPTY') return busy;
    }
    try {
      const children = this.io.children(dir);
      // No sub-cgroups: busy with processes.
      if (children.length === 0) return busy;
      for (const child of children) {
        const error = this.removeTree(path.join(dir, child));
        if (error) return error;
      }
      this.io.rmdir(dir);
      return null;
    } catch (e) {
      const error = e as NodeJS.ErrnoException;
      return error.code === 'ENOENT' ? null : error;
    }
  }

  private tryRmdir(dir: string): void {
    try {
      this.io.rmdir(dir);
    } catch {
      // the original error matters more
    }
  }
}

/** cgroup v2 has no devices file: the rules become an eBPF program on the cgroup. */
function attachDeviceFilter(dir: string, rules: readonly DeviceRule[]): void {
  try {
    native.attachDeviceProgram(dir, compileDeviceProgram(rules));
  } catch (e) {
    throw stepErrorOf('attach the device filter to', e, '/linux/resources/devices');
  }
}
