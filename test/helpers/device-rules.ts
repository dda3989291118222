// Device rule lists for the device program tests: podman's default and
// seeded random ones (a failure names its seed and index, so it replays).
import type { DeviceRule } from '../../lib/cgroups/device-program';

export const rule = (allow: boolean, type: DeviceRule['type'], major: number | null, minor: number | null, access: string): DeviceRule => ({ allow, type, major, minor, access });

/** What podman asks for by default: deny everything, then the standard char devices, the pts, and mknod of any device. */
export const PODMAN_RULES: readonly DeviceRule[] = [
  rule(false, 'a', null, null, 'rwm'),
  rule(true, 'c', 1, 3, 'rwm'), // null
  rule(true, 'c', 1, 5, 'rwm'), // zero
  rule(true, 'c', 1, 7, 'rwm'), // full
  rule(true, 'c', 5, 0, 'rwm'), // tty
  rule(true, 'c', 1, 8, 'rwm'), // random
  rule(true, 'c', 1, 9, 'rwm'), // urandom
  rule(true, 'c', 5, 2, 'rwm'), // ptmx
  rule(true, 'c', 136, null, 'rwm'), // pts
  rule(true, 'c', null, null, 'm'),
  rule(true, 'b', null, null, 'm'),
];

/** mulberry32: a small seeded generator. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Up to 13 rules drawn from a few values each, so that rules overlap often;
 * majors and minors include 2^32-1 (negative as a signed 32-bit immediate).
 */
export function randomRules(random: () => number): DeviceRule[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const numbers = [null, null, 0, 1, 5, 136, 0xffffffff];
  const count = Math.floor(random() * 14);
  const rules: DeviceRule[] = [];
  for (let i = 0; i < count; i++) {
    let access = '';
    while (!access) for (const ch of 'rwm') if (random() < 0.6) access += ch;
    const scrambled = [...access].sort(() => random() - 0.5).join('');
    rules.push(rule(random() < 0.6, pick(['a', 'b', 'c', 'c'] as const), pick(numbers), pick(numbers), scrambled));
  }
  return rules;
}
