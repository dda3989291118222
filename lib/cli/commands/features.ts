// ociish features: the runtime spec's features document (features.md), true
// to what this build implements and this kernel supports.
import { constants } from '../../native';
import { knownMountOptions } from '../../plan/mount-options';
import { OCI_VERSION } from '../../runtime/state';
import { SUPPORTED_HOOKS } from '../../runtime/hooks';
import { seccompFeatures } from '../../seccomp';
import { NAMESPACE_TYPES } from '../../spec';
import { parseVerb } from '../args';
import type { CommandContext } from '../context';

export const featuresHelp = `Usage: ociish features

Prints what this runtime supports as the runtime spec's features JSON:
OCI versions, hooks, mount options, namespaces, capabilities, cgroup
drivers, seccomp actions, operators, architectures and flags (probed on this
kernel).

Options:
  -h, --help   show this help
`;

export async function features(ctx: CommandContext, args: string[]): Promise<number> {
  const parsed = parseVerb(ctx.out, 'features', featuresHelp, args, {}, { min: 0, max: 0, what: 'no arguments' });
  if (!parsed) return 0;
  const doc = {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...SUPPORTED_HOOKS],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: Object.entries(constants.capabilities).sort((a, b) => a[1] - b[1]).map(([name]) => name),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.opencontainers.runtime.ociish.version': require('../../../../package.json').version as string },
  };
  ctx.out(JSON.stringify(doc, null, 2) + '\n');
  return 0;
}
