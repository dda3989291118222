// The seccomp part of `ociish features`: what the profile schema and the
// compiler take, narrowed to what this kernel can do.
import { native } from '../native';
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS, type SeccompFlag } from '../spec';
import { actionValue } from './actions';
import { hostArches, hostFamily } from './arches';

/** SECCOMP_FILTER_FLAG_* as the kernel numbers them (linux/seccomp.h). */
const KERNEL_FLAGS: Record<SeccompFlag, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

export function seccompFeatures(): SeccompFeatures {
  return {
    enabled: true,
    actions: SECCOMP_ACTIONS.filter((a) => native.seccompActionAvailable((actionValue(a, 0) & 0xffff0000) >>> 0)),
    operators: [...SECCOMP_OPERATORS],
    archs: hostArches(hostFamily()),
    knownFlags: [...SECCOMP_FLAGS],
    supportedFlags: SECCOMP_FLAGS.filter((f) => native.seccompFlagSupported(KERNEL_FLAGS[f])),
  };
}
