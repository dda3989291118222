// Memory a container costs while it waits to be started: the RSS of a
// created container's init (the CLI's and every runtime binary's), and the
// growth of the API process's RSS per live pre-created container.
import type { BenchApi, BenchContainer } from './api';
import type { Ids, Method } from './methods/method';
import { vmRssKb } from './processes';
import { median } from './stats';

export interface InitRss {
  method: string;
  /** The median of the samples. */
  kb: number;
  samples: number[];
}

export interface ApiRss {
  containers: number;
  beforeKb: number;
  afterKb: number;
  perContainerKb: number;
}

const INIT_SAMPLES = 3;

export async function createdInitRss(methods: Method[]): Promise<InitRss[]> {
  const out: InitRss[] = [];
  for (const m of methods) {
    if (!m.createdInitRss) continue;
    const samples: number[] = [];
    for (let i = 0; i < INIT_SAMPLES; i++) samples.push(await m.createdInitRss());
    out.push({ method: m.name, kb: median(samples), samples });
  }
  return out;
}

/** Creates `count` containers in this process and keeps them alive while its RSS is read. */
export async function apiRssPerContainer(api: BenchApi, bundle: string, ids: Ids, count: number): Promise<ApiRss> {
  const live: BenchContainer[] = [];
  const beforeKb = vmRssKb('self');
  try {
    while (live.length < count) live.push(await api.create(ids.next(), bundle, true));
    const afterKb = vmRssKb('self');
    return { containers: count, beforeKb, afterKb, perContainerKb: (afterKb - beforeKb) / count };
  } finally {
    for (const c of live) await c.delete().catch(() => {});
  }
}
