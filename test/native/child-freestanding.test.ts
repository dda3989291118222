// The container child runs in the runtime's memory on a stack of its own,
// sharing the parent thread's TLS: it must call nothing from libc (errno,
// locks, lazy symbol binding). Its object files may only reference each other.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const objDir = path.resolve(__dirname, '../../../build/Release/obj.target/ociish/csrc/child');

t.test('csrc/child objects reference no outside symbol', { skip: fs.existsSync(objDir) ? false : `no node-gyp objects at ${objDir}` }, async (t) => {
  const objects = fs.readdirSync(objDir).filter((f) => f.endsWith('.o'));
  t.ok(objects.length >= 6, `${objects.length} object files`);
  for (const obj of objects) {
    const undefinedSymbols = execFileSync('nm', ['-u', path.join(objDir, obj)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().replace(/^U\s+/, ''))
      .filter((s) => s && !s.startsWith('_ZN5child') && s !== '_GLOBAL_OFFSET_TABLE_' && s !== 'ociish_clone3_run');
    t.same(undefinedSymbols, [], `${obj}: only the child's own functions`);
  }
});
