// The device allowlist of a container's cgroup: the config's rules, then the
// devices the container is given (linux.devices) and the ones every container
// needs, as runc does. The last matching rule wins; nothing matches → denied.
import type { DeviceRuleConfig, Spec } from '../spec';
import type { DeviceRule } from './device-program';
import { write, type CgroupWrite } from './entries';

export type { DeviceRule };

const rule = (type: 'b' | 'c', major: number | null, minor: number | null, access = 'rwm'): DeviceRule => ({ allow: true, type, major, minor, access });

/** What every container may use: mknod of any node, and the devices of a default /dev. */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
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

function fromConfig(r: DeviceRuleConfig): DeviceRule {
  return { allow: r.allow, type: r.type ?? 'a', major: r.major ?? null, minor: r.minor ?? null, access: r.access ?? 'rwm' };
}

/** A rule every request matches: the rules before it no longer matter. */
function matchesAll(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === null && r.minor === null && /^(?=.*r)(?=.*w)(?=.*m)/.test(r.access);
}

/** The effective rules, starting from "deny everything". */
export function deviceRules(spec: Spec): DeviceRule[] {
  const rules: DeviceRule[] = [{ allow: false, type: 'a', major: null, minor: null, access: 'rwm' }];
  rules.push(...(spec.linux?.resources?.devices ?? []).map(fromConfig));
  for (const d of spec.linux?.devices ?? []) {
    if (d.type === 'p') continue; // fifos are not device nodes
    rules.push(rule(d.type === 'b' ? 'b' : 'c', d.major!, d.minor!));
  }
  rules.push(...DEFAULT_DEVICE_RULES);
  let start = 0;
  rules.forEach((r, i) => {
    if (matchesAll(r)) start = i;
  });
  return rules.slice(start);
}

/** "c 1:3 rwm" lines for devices.allow / devices.deny. */
function v1Lines(r: DeviceRule): string[] {
  if (matchesAll(r)) return ['a'];
  // v1 reads type "a" as "all devices", whatever follows: spell out both types.
  const types = r.type === 'a' ? ['c', 'b'] : [r.type];
  return types.map((t) => `${t} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`);
}

/** The v1 devices controller's writes: each rule in order, after denying everything. */
export function deviceEntriesV1(rules: readonly DeviceRule[]): CgroupWrite[] {
  return rules.flatMap((r) => v1Lines(r).map((line) => write('devices', '/linux/resources/devices', r.allow ? 'devices.allow' : 'devices.deny', line)));
}
