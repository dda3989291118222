// OCI hooks (config.md "POSIX-platform Hooks"): each gets the container's
// state JSON on stdin, its args (args[0] is argv[0]), env and timeout.
// prestart, createRuntime, poststart and poststop run in the runtime's
// namespaces; createContainer and startContainer in the container's, by the
// spawn core joining the init's namespaces and cgroup (as exec does). A
// failing hook's error names the hook, its path and what it printed on stderr.
import type { Cgroup } from '../cgroups';
import { StepError } from '../errors';
import { native, type ExitStatus } from '../native';
import { hostFacts, planJoinContainer, type Plan, type Step } from '../plan';
import { planProcess } from '../plan/process';
import type { Hook, Spec } from '../spec';
import { spawnInCgroup } from './launch';
import type { State } from './state';

export const SUPPORTED_HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookPhase = (typeof SUPPORTED_HOOKS)[number];

/** Where the container-namespace hooks join: the container's init and cgroup. */
export interface HookContainer {
  spec: Spec;
  initPid: number;
  cgroup: Cgroup;
  /** The rootfs on the host (the container user's HOME from its /etc/passwd). */
  rootfs: string;
}

/** The container process's user, capabilities, rlimits, umask and no_new_privs, without its execve. */
function containerProcessSteps(spec: Spec, rootfs: string, hook: Hook): Step[] {
  const userns = spec.linux?.namespaces?.some((ns) => ns.type === 'user') ?? false;
  const host = hostFacts();
  const process = { ...spec.process!, args: [hook.path], env: hook.env ?? [], terminal: false };
  const steps = planProcess(process, host, !(userns && host.euid !== 0), { rootfs, preservedFds: 0, barrier: false, seccomp: null }, []);
  return steps.filter((s) => s.kind !== 'EXEC');
}

function describe(phase: HookPhase, index: number, hook: Hook): string {
  return `${phase} hook ${index} (${hook.path})`;
}

function failed(phase: HookPhase, index: number, hook: Hook, detail: string): StepError {
  return new StepError(`run ${describe(phase, index, hook)}`, undefined, `/hooks/${phase}/${index}`, 'ECHILD', 10, detail);
}

function exitDetail(status: ExitStatus | { exitCode: number | null; signal: string | null }, stderr: string): string {
  const how = 'signal' in status && status.signal !== null && status.signal !== undefined ? `killed by signal ${status.signal}` : `exited with ${(status as { exitCode: number }).exitCode}`;
  return stderr.trim() ? `${how}: ${stderr.trim()}` : how;
}

/** A hook in the runtime's namespaces. */
function runHostHook(phase: HookPhase, index: number, hook: Hook, stateJson: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = hook.args ?? [hook.path];
    // node:child_process costs the CLI ~5 ms to load: only a config with hooks pays it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(hook.path, args.slice(1), {
      argv0: args[0] ?? hook.path,
      env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=') >>> 0), e.slice(e.indexOf('=') + 1)])),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    child.stdout!.resume(); // what a hook prints is not ours to pass on: our stdout may be the container's
    child.stdin!.on('error', () => {}); // a hook need not read its stdin
    child.stdin!.end(stateJson);
    const timer = hook.timeout === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(failed(phase, index, hook, e.message));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (exitCode === 0) return resolve();
      const timedOut = signal === 'SIGKILL' && hook.timeout !== undefined;
      reject(failed(phase, index, hook, timedOut ? `timed out after ${hook.timeout} s` : exitDetail({ exitCode, signal }, stderr)));
    });
  });
}

/**
 * A hook in the container's namespaces and cgroup. createContainer runs as
 * the root of the container (before pivot_root its path is the runtime's);
 * startContainer, whose path the image controls, gets what the container
 * process gets: its user, capabilities and no_new_privs, as runc runs it
 * from the init just before execve.
 */
async function runContainerHook(phase: HookPhase, index: number, hook: Hook, stateJson: string, where: HookContainer): Promise<void> {
  const args = hook.args?.length ? hook.args : [hook.path];
  const origin = `/hooks/${phase}/${index}`;
  const exec: Step = { kind: 'EXEC', args, env: hook.env ?? [], pathDirs: null, preservedFds: 0, file: hook.path, origin: `${origin}/path` };
  const asProcess = phase === 'startContainer' && where.spec.process ? containerProcessSteps(where.spec, where.rootfs, hook) : [];
  const plan: Plan = {
    steps: [
      ...planJoinContainer(where.spec, where.initPid, where.cgroup.planJoin()),
      { kind: 'STDIN_DATA', data: stateJson, origin },
      ...asProcess,
      exec,
    ],
    cloneFlags: 0,
    idMaps: null,
    warnings: [],
  };
  const proc = await spawnInCgroup(plan, where.cgroup);
  const timer = hook.timeout === undefined ? undefined : setTimeout(() => native.pidfdSendSignal(proc.pidfd, 9), hook.timeout * 1000);
  const status = await proc.exited.finally(() => clearTimeout(timer));
  if ('exitCode' in status && status.exitCode === 0) return;
  const timedOut = 'signal' in status && status.signal === 9 && hook.timeout !== undefined;
  throw failed(phase, index, hook, timedOut ? `timed out after ${hook.timeout} s` : exitDetail(status, ''));
}

/** The spec's state, as hooks get it on stdin. */
function stateJson(state: State): string {
  return JSON.stringify({ ociVersion: state.ociVersion, id: state.id, status: state.status, pid: state.pid, bundle: state.bundle, annotations: state.annotations });
}

/**
 * Runs a phase's hooks in order; the first failure throws (the callers
 * decide, by the spec, whether that fails the operation or is a warning).
 * `where` is required for createContainer and startContainer.
 */
export async function runHooks(phase: HookPhase, spec: Spec, state: State, where?: HookContainer): Promise<void> {
  const hooks = spec.hooks?.[phase] ?? [];
  if (!hooks.length) return;
  const json = stateJson(state);
  const inContainer = phase === 'createContainer' || phase === 'startContainer';
  for (const [index, hook] of hooks.entries()) {
    if (inContainer) await runContainerHook(phase, index, hook, json, where!);
    else await runHostHook(phase, index, hook, json);
  }
}

/** Whether the child must stop before pivot_root for prestart, createRuntime or createContainer hooks. */
export function hasCreateHooks(spec: Spec): boolean {
  const h = spec.hooks;
  return Boolean(h?.prestart?.length || h?.createRuntime?.length || h?.createContainer?.length);
}

/** While the child waits before pivot_root: prestart and createRuntime here, createContainer in its namespaces. */
export async function runCreateHooks(spec: Spec, state: State, cgroup: Cgroup, rootfs: string): Promise<void> {
  await runHooks('prestart', spec, state);
  await runHooks('createRuntime', spec, state);
  await runHooks('createContainer', spec, state, { spec, initPid: state.pid, cgroup, rootfs });
}

/** Runs a phase's hooks where a failure is only a warning and the next hooks still run (poststart, poststop). */
export async function runHooksWarning(phase: 'poststart' | 'poststop', spec: Spec, state: State, onWarning?: (message: string) => void): Promise<void> {
  const json = stateJson(state);
  for (const [index, hook] of (spec.hooks?.[phase] ?? []).entries()) {
    try {
      await runHostHook(phase, index, hook, json);
    } catch (e) {
      onWarning?.((e as Error).message);
    }
  }
}
