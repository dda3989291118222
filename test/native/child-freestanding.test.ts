// The container child runs in the runtime's memory on a stack of its own,
// sharing the parent thread's TLS: it must call nothing from libc (errno,
// locks) and nothing through the PLT (a lazy binding would run the dynamic
// linker on the parent thread's TLS).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const buildDir = path.resolve(__dirname, '../../../build/Release');
const objDir = path.join(buildDir, 'obj.target/ociish/csrc/child');
const addon = path.join(buildDir, 'ociish.node');
const isChild = (symbol: string) => symbol.startsWith('_ZN5child') || symbol === 'ociish_clone3_run';

t.test('csrc/child objects reference no outside symbol', { skip: fs.existsSync(objDir) ? false : `no node-gyp objects at ${objDir}` }, async (t) => {
  const objects = fs.readdirSync(objDir).filter((f) => f.endsWith('.o'));
  t.ok(objects.length >= 6, `${objects.length} object files`);
  for (const obj of objects) {
    const undefinedSymbols = execFileSync('nm', ['-u', path.join(objDir, obj)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().replace(/^U\s+/, ''))
      .filter((s) => s && !isChild(s) && s !== '_GLOBAL_OFFSET_TABLE_');
    t.same(undefinedSymbols, [], `${obj}: only the child's own functions`);
  }
});

t.test('the addon: child functions make no PLT call, and symbols bind at load', { skip: fs.existsSync(addon) ? false : `no addon at ${addon}` }, async (t) => {
  const disassembly = execFileSync('objdump', ['-d', '--no-show-raw-insn', addon], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let fn = '';
  let childFunctions = 0;
  const pltCalls: string[] = [];
  for (const line of disassembly.split('\n')) {
    const head = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (head) {
      fn = head[1]!;
      if (isChild(fn)) childFunctions++;
    } else if (isChild(fn) && /@plt>/.test(line)) {
      pltCalls.push(`${fn}: ${line.trim()}`);
    }
  }
  t.ok(childFunctions >= 20, `${childFunctions} child functions found`);
  t.same(pltCalls, [], 'no call through the PLT');
  t.match(execFileSync('readelf', ['-d', addon], { encoding: 'utf8' }), /BIND_NOW/, 'linked with -z now');
});
