import { ConnectionFailedError } from '../../errors/connection-failed-error.js';
import { sanitizeError } from '../../internal/safe-error.js';
import { redactSecrets } from './amqp-url.js';
import { amqpErrorCode, amqpErrorDetail } from './topology.js';

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
 */
export function connectionFailure(
  error: unknown,
  redactedUrl: string,
  secrets: readonly string[],
): ConnectionFailedError {
  const cause = sanitizeError(error, secrets);
  const errorCode = (error as { code?: unknown } | undefined)?.code;
  const certificateRejected = typeof errorCode === 'string' && CERTIFICATE_ERROR_CODES.has(errorCode);
  const detail = redactSecrets(amqpErrorDetail(cause.message), secrets);
  const explanation = !certificateRejected
    ? detail
    : `the broker's TLS certificate failed verification (${detail}; ${errorCode}): ` +
      (errorCode === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? 'connect by a host name the certificate names, or give that name as tls.servername'
        : 'give the CA that signed it as tls.ca');
  return new ConnectionFailedError(
    `Cannot connect to ${redactedUrl}: ${explanation}`,
    redactedUrl,
    amqpErrorCode(error),
    certificateRejected,
    { cause },
  );
}
