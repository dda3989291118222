// `node -e 0`: the start and exit of a bare Node process, the floor under
// any command line written in Node (ociish's included).
import { runTimed } from '../processes';
import type { Method } from './method';

export function nodeFloor(): Method {
  const argv = [process.execPath, '-e', '0'];
  return {
    name: 'node -e 0 (floor)',
    kind: 'floor',
    variant: null,
    measures: 'spawn to exit of `node -e 0`',
    sample: () => runTimed(argv),
    close: async () => {},
  };
}
