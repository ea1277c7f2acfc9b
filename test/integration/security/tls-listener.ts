// TLS for the tests, made on the spot: a CA, a server certificate and a client certificate generated
// with openssl in a temporary directory, and TLS listeners started in the running RabbitMQ at runtime
// (rabbit_networking:start_ssl_listener/3), on free ports of 127.0.0.1 only. Nothing is restarted and
// the broker's configuration is not touched: the listeners live until stop(), or at most 15 minutes.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { erlangBinary, freePort, rabbitmqEval } from './rabbitmq-admin.js';

const run = promisify(execFile);

export interface TlsMaterial {
  /** The CA that signed both certificates (self-signed): what a client passes as `tls.ca`. */
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  /** Signed by the same CA, for listeners that require a client certificate. */
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** The directory of the files: ca.pem, client.pem, client.key (for examples/tls.ts). */
  readonly dir: string;
  /** Deletes the directory of the files. */
  remove(): Promise<void>;
}

/** How long a listener outlives a test process that died before stopping it. */
const LISTENER_LIFETIME_MS = 15 * 60_000;

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 60_000 });
}

/** Generates a CA, a server certificate for localhost and 127.0.0.1, and a client certificate. */
export async function makeCertificates(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'tidings-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    dir,
    ...['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2'],
    ...['-subj', '/CN=tidings test CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  );
  const sign = async (name: string, subject: string, extensions: string) => {
    await openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl(
      dir,
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`],
    );
  };
  await sign(
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  await sign('client', '/CN=tidings test client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const file = (name: string) => readFile(join(dir, name));
  return {
    ca: await file('ca.pem'),
    serverCert: await file('server.pem'),
    serverKey: await file('server.key'),
    clientCert: await file('client.pem'),
    clientKey: await file('client.key'),
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface TlsListener {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts an AMQP-over-TLS listener on 127.0.0.1 in the running broker, with the server certificate; with
 * `requireClientCertificate`, the handshake fails unless the client presents a certificate of the CA.
 * The certificate and key go to the broker as DER binaries: it reads no file of ours.
 */
export async function startTlsListener(
  material: TlsMaterial,
  options: { requireClientCertificate: boolean },
): Promise<TlsListener> {
  const peerVerification = options.requireClientCertificate
    ? ', {cacerts, [Ca]}, {verify, verify_peer}, {fail_if_no_peer_cert, true}'
    : '';
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = `{"127.0.0.1", ${port}}`;
    // A safety net in the broker: if this process dies before stop(), the listener still goes away.
    // It stops only a listener on this port that still has this certificate, never someone else's.
    const expression = `
      [{'Certificate', Cert, _}] = public_key:pem_decode(${erlangBinary(material.serverCert)}),
      [{KeyType, Key, _}] = public_key:pem_decode(${erlangBinary(material.serverKey)}),
      [{'Certificate', Ca, _}] = public_key:pem_decode(${erlangBinary(material.ca)}),
      ok = rabbit_networking:start_ssl_listener(${address}, [{cert, Cert}, {key, {KeyType, Key}}${peerVerification}], 1),
      Ours = fun() -> [P || {listener, _, 'amqp/ssl', _, _, P, Opts} <- rabbit_networking:active_listeners(),
                            P =:= ${port}, proplists:get_value(cert, Opts) =:= Cert] =/= [] end,
      spawn(fun() -> timer:sleep(${LISTENER_LIFETIME_MS}),
                     case Ours() of true -> rabbit_networking:stop_tcp_listener(${address}); false -> ok end end),
      ok.`;
    try {
      const output = await rabbitmqEval(expression.replace(/\s+/g, ' '));
      if (output !== 'ok') throw new Error(output);
    } catch (error) {
      // Someone took the port between freePort() and the listener: take another.
      if (attempt < 3) continue;
      throw new Error(`Could not start a TLS listener in RabbitMQ: ${(error as Error).message}`);
    }
    return {
      port,
      stop: async () => {
        const output = await rabbitmqEval(`rabbit_networking:stop_tcp_listener(${address}).`);
        if (output !== 'ok') throw new Error(`Could not stop the TLS listener on ${port}: ${output}`);
      },
    };
  }
}
