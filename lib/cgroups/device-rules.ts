// The device allowlist of a container's cgroup: the config's rules, then the
// devices the container is given (linux.devices) and the ones every container
// needs, as runc does. The last matching rule wins; nothing matches → denied.
import { ConfigError } from '../errors';
import type { DeviceRuleConfig, Spec } from '../spec';
import type { DeviceRule } from './device-program';
import { write, type CgroupWrite } from './entries';

export type { DeviceRule };

/** A rule and the config field it comes from (none for the runtime's defaults). */
export interface SourcedDeviceRule extends DeviceRule {
  pointer?: string;
}

const rule = (type: 'b' | 'c', major: number | null, minor: number | null, access = 'rwm', pointer = ''): SourcedDeviceRule => ({ allow: true, type, major, minor, access, pointer });

/** What every container may use: mknod of any node, and the devices of a default /dev. */
export const DEFAULT_DEVICE_RULES: readonly SourcedDeviceRule[] = [
  rule('c', null, null, 'm'),
  rule('b', null, null, 'm'),
  rule('c', 1, 3), // null
  rule('c', 1, 5), // zero
  rule('c', 1, 7), // full
  rule('c', 1, 8), // random
  rule('c', 1, 9), // urandom
  rule('c', 5, 0), // tty
  rule('c', 5, 2), // ptmx
  rule('c', 136, null), // pts/*
];

function fromConfig(r: DeviceRuleConfig, i: number): SourcedDeviceRule {
  return { allow: r.allow, type: r.type ?? 'a', major: r.major ?? null, minor: r.minor ?? null, access: r.access ?? 'rwm', pointer: `/linux/resources/devices/${i}` };
}

/** A rule every request matches: the rules before it no longer matter. */
function matchesAll(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === null && r.minor === null && /^(?=.*r)(?=.*w)(?=.*m)/.test(r.access);
}

/** The effective rules, starting from "deny everything". */
export function deviceRules(spec: Spec): SourcedDeviceRule[] {
  const rules: SourcedDeviceRule[] = [{ allow: false, type: 'a', major: null, minor: null, access: 'rwm', pointer: '' }];
  rules.push(...(spec.linux?.resources?.devices ?? []).map(fromConfig));
  (spec.linux?.devices ?? []).forEach((d, i) => {
    if (d.type === 'p') return; // fifos are not device nodes
    rules.push(rule(d.type === 'b' ? 'b' : 'c', d.major!, d.minor!, 'rwm', `/linux/devices/${i}`));
  });
  rules.push(...DEFAULT_DEVICE_RULES);
  let start = 0;
  rules.forEach((r, i) => {
    if (matchesAll(r)) start = i;
  });
  return rules.slice(start);
}

/** One v1 exception: a type (c or b) and numbers (null: *), as devices.list shows them. */
interface V1Line {
  type: 'a' | 'b' | 'c';
  major: number | null;
  minor: number | null;
  access: string;
}

/** A rule as v1 lines ("a" alone switches the default and clears the exceptions). */
function v1Lines(r: DeviceRule): V1Line[] {
  if (matchesAll(r)) return [{ type: 'a', major: null, minor: null, access: 'rwm' }];
  // v1 reads type "a" as "all devices", whatever follows: spell out both types.
  const types: ('b' | 'c')[] = r.type === 'a' ? ['c', 'b'] : [r.type];
  return types.map((type) => ({ type, major: r.major, minor: r.minor, access: r.access }));
}

function text(l: V1Line): string {
  return l.type === 'a' ? 'a' : `${l.type} ${l.major ?? '*'}:${l.minor ?? '*'} ${l.access}`;
}

const overlap = (a: number | null, b: number | null) => a === null || b === null || a === b;

/**
 * The v1 devices controller's writes: each rule in order, after denying
 * everything. v1 keeps a default plus a list of exceptions, and a write to
 * the opposite file only takes away an exception with the very same numbers.
 * So a deny that would narrow an earlier, wider allow (deny c 1:1 after
 * allow c *:*) cannot be expressed: it is refused (runc refuses it too),
 * because writing it would leave the device allowed.
 */
export function deviceEntriesV1(rules: readonly SourcedDeviceRule[], mode = 'legacy'): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  let defaultAllow = true;
  let exceptions: V1Line[] = [];
  for (const r of rules) {
    for (const line of v1Lines(r)) {
      out.push(write('devices', r.pointer || '/linux/resources/devices', r.allow ? 'devices.allow' : 'devices.deny', text(line)));
      if (line.type === 'a') {
        defaultAllow = r.allow;
        exceptions = [];
      } else if (r.allow !== defaultAllow) {
        exceptions.push(line);
      } else if (!r.allow) {
        const shares = (e: V1Line) => [...line.access].some((a) => e.access.includes(a));
        const wider = exceptions.find((e) => e.type === line.type && overlap(e.major, line.major) && overlap(e.minor, line.minor) && shares(e) && (e.major !== line.major || e.minor !== line.minor));
        if (wider) {
          throw new ConfigError(r.pointer ?? '/linux/resources/devices', `cannot be honoured on a cgroup v1 devices controller: it narrows the earlier rule "${text(wider)}", which v1 cannot split (host cgroup mode: ${mode})`);
        }
      }
      // An allow that narrows an earlier deny leaves the device denied: stricter than asked, as runc.
    }
  }
  return out;
}
