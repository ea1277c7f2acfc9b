import { ConnectionFailedError } from '../../errors/connection-failed-error.js';
import { redact, redactUrl } from '../../internal/redact.js';
import { sanitizeError } from '../../internal/safe-error.js';
import { parseAmqpUrl } from './amqp-url.js';
import { attemptsSuffix, brokerRefusal, networkExplanation } from './connection-refusal.js';
import { amqpErrorCode, amqpErrorDetail, UNRECOVERABLE_CONNECTION_CODES } from './topology.js';

/**
 * Codes of Node's TLS errors for a broker certificate that fails verification: OpenSSL's verify results,
 * and a certificate that does not name the host. Connecting again is shown the same certificate.
 */
const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The typed error of a failed connection attempt, from whatever amqplib or the socket threw. Only the
 * message, stack and network fields of the original survive (as `cause`), each with the passwords
 * removed: a TLS error carries the peer certificate and the socket, a handshake error amqplib's state.
 * The message names the user and the vhost for a refusal, and how many attempts failed over how long.
 */
export function connectionFailure(
  error: unknown,
  url: string,
  secrets: readonly string[],
  progress: { attempts: number; elapsedMs: number } = { attempts: 1, elapsedMs: 0 },
): ConnectionFailedError {
  const redactedUrl = redactUrl(url);
  const cause = sanitizeError(error, secrets);
  const errorCode = (error as { code?: unknown } | undefined)?.code;
  const certificateRejected = typeof errorCode === 'string' && CERTIFICATE_ERROR_CODES.has(errorCode);
  // The URL was checked when the transport was made; user and vhost are shown, the password is not.
  const { username, vhost } = parseAmqpUrl(url, 0);
  const refusal = brokerRefusal(cause.message, username, vhost);
  const detail = redact(amqpErrorDetail(cause.message), secrets);
  const explanation = certificateRejected
    ? `the broker's TLS certificate failed verification (${detail}; ${errorCode}): ` +
      (errorCode === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect by a host name the certificate names, or give that name as tls.servername'
        : 'give the CA that signed it as tls.ca')
    : (refusal?.explanation ?? networkExplanation(errorCode, cause.message) ?? detail);
  return new ConnectionFailedError(
    `Cannot connect to ${redactedUrl}: ${explanation}${attemptsSuffix(progress.attempts, progress.elapsedMs)}`,
    redactedUrl,
    refusal?.code ?? amqpErrorCode(error),
    certificateRejected,
    { cause, ...progress },
  );
}

/**
 * Whether connecting again cannot help: wrong credentials, a vhost refused, a certificate that fails
 * verification. The first connection gives up at once on these; reconnects do not (a restarting node
 * answers 530 for a while; a certificate may be replaced meanwhile).
 */
export function isUnrecoverable(failure: ConnectionFailedError): boolean {
  return (
    failure.certificateRejected ||
    (failure.amqpCode !== undefined && UNRECOVERABLE_CONNECTION_CODES.includes(failure.amqpCode))
  );
}
