// A container's new network namespace, made on a worker thread while
// launch() claims the id, writes the state and makes the cgroup, instead of
// by clone3 on the main thread: creating one costs ~0.4 ms. The child joins
// it by /proc/<our pid>/fd/<fd> (SETNS), and our fd is closed after the spawn.
import { stepErrorOf } from '../system-error';
import { native } from '../native';
import { canPremadeNetns, hostFacts, joinPremadeNetns, type HostFacts, type Plan } from '../plan';
import type { Spec } from '../spec';

export class PremadeNetns {
  private constructor(private readonly fd: Promise<number>) {}

  /** Starts making one when the container gets a new network namespace the runtime may make (canPremadeNetns). */
  static start(spec: Spec, host: HostFacts = hostFacts()): PremadeNetns | undefined {
    if (!canPremadeNetns(spec, host)) return undefined;
    const fd = native.newNetns();
    fd.catch(() => {}); // seen by join(), or by nobody if the launch fails first
    return new PremadeNetns(fd);
  }

  /** Waits until it exists and gives the plan its path. */
  async join(plan: Plan): Promise<void> {
    let fd: number;
    try {
      fd = await this.fd;
    } catch (e) {
      throw stepErrorOf('create network namespace', e, '/linux/namespaces');
    }
    joinPremadeNetns(plan, `/proc/${process.pid}/fd/${fd}`);
  }

  /** Closes our fd: the namespace lives on in the processes that joined it, if any. */
  async close(): Promise<void> {
    try {
      native.closeFd(await this.fd);
    } catch {
      // never made
    }
  }
}
