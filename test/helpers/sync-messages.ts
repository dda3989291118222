// What a spawned child says on its sync socket, read as the runtime reads it
// (in the event loop) until the child closes its end.
import { native, type SyncMessage } from '../../lib/native';

/** Every message until EOF; `onMessage` may answer each one (GO, ABORT) before the next is read. */
export async function syncMessages(syncFd: number, onMessage: (m: SyncMessage) => void = () => {}): Promise<SyncMessage[]> {
  const messages: SyncMessage[] = [];
  for (;;) {
    await native.waitReadable(syncFd);
    const m = native.recvSyncMsg(syncFd);
    if (m === undefined) continue;
    if (m === null) return messages;
    messages.push(m);
    onMessage(m);
  }
}
