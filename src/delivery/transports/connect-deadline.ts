import { deliveryFailure } from '../delivery-failure.js';

/**
 * Runs a connection phase (resolution, TCP, TLS or SSH handshake, login) within `ms` in all: a server
 * that accepts and then stays silent, or answers one byte at a time, costs no more than one that
 * refuses. On expiry `abort` tears the connection down and the phase fails as unreachable.
 */
export async function withinDeadline<T>(ms: number, work: () => Promise<T>, abort: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      abort();
      reject(deliveryFailure('unreachable', `no complete answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
