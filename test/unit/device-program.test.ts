// The cgroup device program, run in a small eBPF interpreter against every
// request shape and compared with the rule semantics written out plainly.
import t, { type Test } from 'tap';
import { compileDeviceProgram, type DeviceRule } from '../../lib/cgroups/device-program';
import { PODMAN_RULES, prng, randomRules, rule } from '../helpers/device-rules';
import { runDeviceProgram, unreachable, type DeviceRequest } from '../helpers/ebpf';

const TYPES = { b: 1, c: 2 } as const;
const ACCESS = { m: 1, r: 2, w: 4 } as const;

/** The semantics: the last matching rule decides; nothing matching denies. */
function reference(rules: readonly DeviceRule[], q: DeviceRequest): number {
  let allowed = false;
  for (const r of rules) {
    const typeOk = r.type === 'a' || TYPES[r.type] === q.type;
    const majorOk = r.major === null || r.major === q.major;
    const minorOk = r.minor === null || r.minor === q.minor;
    let granted = 0;
    for (const ch of r.access) granted |= ACCESS[ch as keyof typeof ACCESS];
    if (typeOk && majorOk && minorOk && (q.access & ~granted) === 0) allowed = r.allow;
  }
  return allowed ? 1 : 0;
}

/** Every type and access, with majors and minors the rules name, their neighbours and a few more. */
function requests(rules: readonly DeviceRule[]): DeviceRequest[] {
  const numbers = (pick: (r: DeviceRule) => number | null) => {
    const set = new Set([0, 1, 5, 136, 0x7fffffff, 0x80000000, 0xffffffff]);
    for (const r of rules) {
      const n = pick(r);
      if (n !== null) for (const m of [n - 1, n, n + 1]) if (m >= 0 && m <= 0xffffffff) set.add(m);
    }
    return [...set];
  };
  const majors = numbers((r) => r.major);
  const minors = numbers((r) => r.minor);
  const out: DeviceRequest[] = [];
  for (const type of [1, 2])
    for (const major of majors) for (const minor of minors) for (let access = 1; access <= 7; access++) out.push({ type, major, minor, access });
  return out;
}

/** The first request where the program and the reference disagree, or a run the interpreter refused; null if none. */
function disagreement(program: Buffer, rules: readonly DeviceRule[]): string | null {
  const dead = unreachable(program);
  if (dead.length) return `unreachable instructions ${dead.join(', ')}`;
  for (const q of requests(rules)) {
    const want = reference(rules, q);
    let got: number;
    try {
      got = runDeviceProgram(program, q).result;
    } catch (e) {
      return `${JSON.stringify(q)}: ${(e as Error).message}`;
    }
    if (got !== want) return `${JSON.stringify(q)}: got ${got}, want ${want}`;
  }
  return null;
}

/** Compiles `rules`, checks every request against the reference, returns the program. */
function check(t: Test, rules: readonly DeviceRule[], label: string): Buffer {
  const program = compileDeviceProgram(rules);
  t.equal(disagreement(program, rules), null, `${label}: decides every request as the reference`);
  return program;
}

t.test('hand-written rule lists', async (t) => {
  const podman = check(t, PODMAN_RULES, 'podman');
  const length = podman.length / 8;
  t.comment(`podman-like list: ${length} instructions`);
  // 4 loads, 3 + 2 + 1 + 6 + 3 + 1 tests (b, c: any major, 136, 1, 5), 2 exits of 2.
  t.ok(length <= 24, `podman-like list compiles to ${length} instructions (24 expected)`);

  t.equal(check(t, [rule(true, 'a', null, null, 'rwm')], 'allow all').length / 8, 2, 'allow all: mov, exit');
  t.equal(check(t, [], 'empty').length / 8, 2, 'empty: mov, exit');
  t.equal(check(t, [rule(false, 'a', null, null, 'rwm')], 'deny all').length / 8, 2, 'deny all: mov, exit');
  check(t, [rule(true, 'a', null, null, 'rwm'), rule(false, 'c', 1, 3, 'w')], 'deny after allow');
  check(t, [rule(true, 'c', null, null, 'rwm'), rule(false, 'c', 1, null, 'rwm'), rule(true, 'c', 1, 3, 'r')], 'allow, deny, allow again');
  check(t, [...PODMAN_RULES, rule(false, 'c', 1, 5, 'w'), rule(false, 'b', null, null, 'm')], 'podman with overrides');
  check(t, [rule(true, 'c', 1, 3, 'rw'), rule(true, 'a', null, null, 'rwm'), rule(false, 'a', 1, null, 'rwm')], 'rules before an allow-all are unreachable');
  // type, access loads; type and access tests falling into allow; deny.
  t.equal(check(t, [rule(true, 'c', null, null, 'm')], 'access only').length / 8, 8, 'access only: no jump to the next instruction');
  check(t, [rule(true, 'c', null, null, 'rwm')], 'type only');
  check(t, [rule(true, 'a', 7, null, 'rwm'), rule(true, 'b', 7, 1, 'r')], 'major only');
  check(t, [rule(true, 'a', null, null, 'r'), rule(false, 'a', null, null, 'w')], 'access of any device');
  check(t, [rule(true, 'c', 0xffffffff, 0x80000000, 'rw'), rule(true, 'b', 0x80000000, 0xffffffff, 'm')], 'numbers above 2^31');
  check(t, [rule(true, 'a', null, null, 'mrwrw')], 'repeated access letters');
  t.equal(compileDeviceProgram([rule(true, 'a', null, null, 'wmr')]).length / 8, 2, 'rwm in any order is everything');
});

t.test('random rule lists', async (t) => {
  const random = prng(0x0c1);
  const lists = 400;
  const failures: string[] = [];
  let longest = 0;
  for (let n = 0; n < lists; n++) {
    const rules = randomRules(random);
    const program = compileDeviceProgram(rules);
    longest = Math.max(longest, program.length / 8);
    const problem = disagreement(program, rules);
    if (problem) failures.push(`list ${n} ${JSON.stringify(rules)}: ${problem}`);
  }
  t.same(failures.slice(0, 5), [], `${lists} random lists decide as the reference (${failures.length} do not)`);
  t.comment(`longest random program: ${longest} instructions`);
});

t.test('invalid rules are refused', async (t) => {
  t.throws(() => compileDeviceProgram([rule(true, 'c', 1, 3, '')]), RangeError, 'empty access');
  t.throws(() => compileDeviceProgram([rule(true, 'c', 1, 3, 'rx')]), RangeError, 'unknown access letter');
  t.throws(() => compileDeviceProgram([rule(true, 'c', -1, 3, 'r')]), RangeError, 'negative major');
  t.throws(() => compileDeviceProgram([rule(true, 'c', 1, 2 ** 32, 'r')]), RangeError, 'minor above u32');
  t.throws(() => compileDeviceProgram([rule(true, 'c', 1.5, 3, 'r')]), RangeError, 'fractional major');
  t.throws(() => compileDeviceProgram([{ ...rule(true, 'c', 1, 3, 'r'), type: 'p' as 'c' }]), RangeError, 'unknown type');
});
