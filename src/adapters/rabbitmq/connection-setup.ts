import type { ChannelModel } from 'amqplib';
import { ConnectionLostError } from '../../errors/connection-lost-error.js';

/** What `watchSetup` tells about a connection the transport is still setting up. */
export interface SetupWatch {
  /** Throws a `ConnectionLostError` if the connection has closed: setting it up must stop there. */
  assertOpen(): void;
}

/**
 * Watches a new connection while the transport sets it up: declares the remembered topology again and
 * resumes the consumers. A connection lost meanwhile (cut, a node killed during recovery, the silence
 * watchdog) must not be taken into use: its `'close'` has already fired, before the connection was the
 * transport's current one, so nothing would ever reconnect. The setup throws instead, and the connect
 * loop tries again after its backoff. amqplib emits `'close'` before it rejects the operations pending on
 * the connection's channels, so a step that failed because of the close sees `closed` already.
 */
export function watchSetup(connection: ChannelModel): SetupWatch {
  let closedBy: { error: Error | undefined } | undefined;
  connection.once('close', (error?: Error) => {
    closedBy = { error };
  });
  return {
    assertOpen() {
      if (closedBy === undefined) return;
      const { error } = closedBy;
      throw new ConnectionLostError(
        'The connection was lost while its topology was declared again and its consumers resumed' +
          (error === undefined ? '' : `: ${error.message}`),
        error === undefined ? undefined : { cause: error },
      );
    },
  };
}
