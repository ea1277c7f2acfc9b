/**
 * What a failed connection attempt means, in words a user can act on, from the errors amqplib 2 and the
 * socket produce. Only the user name and the vhost are named; never the password.
 */

/** A refusal by the broker during the AMQP handshake. */
export interface BrokerRefusal {
  /** AMQP reply code: 403 ACCESS_REFUSED, 530 NOT_ALLOWED, … */
  readonly code: number;
  readonly explanation: string;
}

/**
 * amqplib 2 reports a `connection.close` sent in answer to `connection.open` only as this text: the
 * frame's reply code and text are dropped. RabbitMQ refuses `connection.open` with 530 NOT_ALLOWED
 * when the vhost does not exist, when the user has no permission on it, or when a connection limit of
 * the vhost or the user is reached; 541 only when the vhost exists but is down. So 530 is taken.
 */
const CLOSED_ON_OPEN = /^Expected ConnectionOpenOk; got <ConnectionClose\b/;

/** A `connection.close` in answer to `connection.start-ok`: the credentials were refused. */
const TERMINATED = /^Handshake terminated by server: (\d{3}) \(([A-Z-]+)\) with message "(.*)"$/s;

export function brokerRefusal(message: string, user: string, vhost: string): BrokerRefusal | undefined {
  if (CLOSED_ON_OPEN.test(message)) {
    return {
      code: 530,
      explanation: `vhost "${vhost}" not found or not permitted for user "${user}" (AMQP 530 NOT_ALLOWED)`,
    };
  }
  const match = TERMINATED.exec(message);
  if (match === null) return undefined;
  const code = Number(match[1]);
  const name = match[2]!.replaceAll('-', '_');
  if (code === 403) {
    return {
      code,
      explanation:
        `login refused for user "${user}": wrong user name or password, or the user may not connect ` +
        `from this host (AMQP 403 ${name})`,
    };
  }
  // RabbitMQ's texts repeat the name ("NOT_ALLOWED - …"): said once, after the code.
  const text = match[3]!.replace(/^[A-Z_]+ - /, '');
  return { code, explanation: `the broker refused the connection: ${text} (AMQP ${code} ${name})` };
}

/** Socket errors a user meets when the broker cannot be reached, by Node's `code`. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'no answer within connectTimeoutMs',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

/** "connection refused (ECONNREFUSED)", or undefined for an error that is not a known socket error. */
export function networkExplanation(code: unknown, message: string): string | undefined {
  // amqplib's own connect timeout is a plain Error with this message and no code.
  const known = typeof code === 'string' ? code : message === 'connect ETIMEDOUT' ? 'ETIMEDOUT' : undefined;
  const words = known === undefined ? undefined : NETWORK_ERRORS[known];
  return words === undefined ? undefined : `${words} (${known})`;
}

/** " after 8 attempts over 24.8 s", or nothing for a first attempt. */
export function attemptsSuffix(attempts: number, elapsedMs: number): string {
  return attempts > 1 ? ` after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s` : '';
}
