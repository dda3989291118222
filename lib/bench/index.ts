// `ociish bench`, the whole of it: builds the bundles, sets up every method
// for both variants, measures them interleaved, measures memory, and removes
// everything it made, whatever happened.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openApi } from './api';
import { defaultVariant, ExternalBundles, minimalVariant, type Variant } from './bundles';
import { deleteLeftoverContainers, removeCgroupTree } from './cleanup';
import { hostFacts, runtimeVersion } from './host';
import { apiRssPerContainer, createdInitRss } from './memory';
import { apiPreCreated } from './methods/api-pre-created';
import { apiRun } from './methods/api-run';
import { binaryMethod } from './methods/binary';
import { Ids, type Method } from './methods/method';
import { nodeFloor } from './methods/node-floor';
import type { MountNamespaceDecision } from './private-mount-ns';
import { REMOVED_ENV, removedEnvThatWasSet } from './processes';
import { methodReports, type BenchResult, type RuntimeInfo } from './result';
import { measure } from './runner';

export interface BenchOptions {
  runs: number;
  warmup: number;
  concurrency: number[];
  /** Paths of other runtimes' binaries (runc, crun, youki, ...). */
  runtimes: string[];
  baseline?: string;
  /** The user's bundle; default: /bin/true in the example busybox bundle. */
  bundle?: string;
  /** bin/ociish, for the CLI method. */
  ociishBin: string;
  ociishVersion: string;
  mountNamespace: MountNamespaceDecision;
  signal: AbortSignal;
  progress: (line: string) => void;
}

/** How many live pre-created containers the API's RSS is measured with. */
const RSS_CONTAINERS = 20;

/** Display names: the binary's name, unless two share it. */
export function runtimeNames(paths: string[]): RuntimeInfo[] {
  const base = paths.map((p) => path.basename(p));
  return paths.map((p, i) => ({
    name: base.filter((b) => b === base[i]).length > 1 ? `${base[i]}#${i + 1}` : base[i]!,
    path: path.resolve(p),
    version: runtimeVersion(p),
  }));
}

export function defaultBaseline(runtimes: { name: string }[]): string {
  for (const preferred of ['crun', 'runc']) if (runtimes.some((r) => r.name === preferred)) return preferred;
  return 'ociish CLI';
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const runtimes = runtimeNames(o.runtimes);
  const baseline = o.baseline ?? defaultBaseline(runtimes);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ociish-bench-'));
  const cgroupParent = `ociish-bench-${process.pid}`;
  const ids = new Ids(`ob${process.pid}`);
  const apiRoot = path.join(work, 'state-api');
  const api = openApi(apiRoot);
  const binaries: string[][] = [];
  const methods: Method[] = [];
  const notes: string[] = [];
  try {
    o.progress('building the bundles');
    const variants: Variant[] = [];
    variants.push(await defaultVariant(work, o.bundle));
    variants.push(minimalVariant(work, variants[0]!));
    const external = new ExternalBundles(path.join(work, 'runtime-bundles'), cgroupParent);
    const tmpDir = path.join(work, 'pid-files');
    fs.mkdirSync(tmpDir);

    const cli = [process.execPath, o.ociishBin, '--root', path.join(work, 'state-ociish')];
    binaries.push(cli);
    const others = runtimes.map((r) => ({ ...r, command: [r.path, '--root', path.join(work, `state-${r.name}`)] }));
    binaries.push(...others.map((r) => r.command));

    methods.push(nodeFloor());
    for (const v of variants) {
      methods.push(apiRun({ name: 'ociish API', variant: v.name, api, bundle: v.bundle, cgroup: true, ids }));
      if (v.name === 'minimal') methods.push(apiRun({ name: 'ociish API (no cgroup)', variant: v.name, api, bundle: v.bundle, cgroup: false, ids }));
      methods.push(apiPreCreated({ name: 'ociish API pre-created', variant: v.name, api, bundle: v.bundle, ids }));
      methods.push(binaryMethod({ name: 'ociish CLI', kind: 'cli', variant: v.name, command: cli, bundle: () => v.bundle, ids, tmpDir }));
      for (const r of others) {
        // Made now, so that no copy is made while a burst is timed.
        for (let w = 0; w < Math.max(1, ...o.concurrency); w++) external.bundle(r.name, v, w);
        methods.push(binaryMethod({ name: r.name, kind: 'runtime', variant: v.name, command: r.command, bundle: (w) => external.bundle(r.name, v, w), ids, tmpDir }));
      }
    }
    if (!methods.some((m) => m.name === baseline)) throw new Error(`--baseline ${baseline}: no such method (${[...new Set(methods.map((m) => m.name))].join(', ')})`);

    const measured = await measure(methods, { runs: o.runs, warmup: o.warmup, concurrency: o.concurrency, signal: o.signal, progress: o.progress });

    o.progress('memory: created-but-not-started inits, and the API process per live container');
    const initRss = await createdInitRss(methods.filter((m) => m.variant === 'default'));
    const apiRss = await apiRssPerContainer(api, variants[0]!.bundle, ids, RSS_CONTAINERS);

    const ns = o.mountNamespace;
    const host = hostFacts(ns.hostCgroupMode, ns.unifiedUnmounted, ns.privateMountNamespace);
    if (host.unifiedUnmounted) {
      notes.push('The whole bench ran in a private mount namespace (unshare -m --propagation private) with /sys/fs/cgroup/unified unmounted there, because crun 1.8 refuses hybrid cgroup hosts; every method ran under the same conditions, and the host\'s own mounts were not touched.');
    }
    const wereSet = removedEnvThatWasSet();
    notes.push(`${REMOVED_ENV.join(' and ')} ${wereSet.length ? `(set here: ${wereSet.join(', ')})` : '(neither set here)'} removed from the environment of every process the bench spawns: each would add its cost to every Node start.`);
    notes.push('runc, crun and other runtimes get a copy of the config with ociVersion 1.0.2 (crun 1.8 refuses 1.3.0) and an absolute cgroupsPath under /' + cgroupParent + '.');
    notes.push('Binaries are timed from spawn to exit, as seen from the bench process (Node\'s child_process).');
    return {
      tool: 'ociish bench',
      ociishVersion: o.ociishVersion,
      startedAt,
      finishedAt: new Date().toISOString(),
      options: { runs: o.runs, warmup: o.warmup, concurrency: o.concurrency, baseline },
      host,
      runtimes,
      environment: { removed: [...REMOVED_ENV], wereSet },
      variants: variants.map((v) => ({ name: v.name, description: v.description, bundle: o.bundle && v.name === 'default' ? v.bundle : `(temporary) ${v.bundle}` })),
      scratch: { dir: work, cgroupParent },
      methods: methodReports(measured, baseline),
      memory: { createdInitRss: initRss, apiPerLiveContainer: apiRss },
      notes,
    };
  } finally {
    o.progress('cleaning up');
    for (const m of methods) await m.close().catch((e) => o.progress(`cleanup: ${m.name}: ${(e as Error).message}`));
    await api.close();
    for (const command of binaries) {
      const left = deleteLeftoverContainers(command);
      if (left.length) o.progress(`cleanup: removed ${left.length} leftover container(s) of ${command[0]}`);
    }
    for (const dir of removeCgroupTree(cgroupParent)) o.progress(`cleanup: could not remove the cgroup ${dir}`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}
