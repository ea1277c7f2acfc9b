// Changes to the shared local RabbitMQ that the security tests need, made at runtime through
// `rabbitmqctl eval` without restarting anything: a user of their own (with a password worth hiding)
// and TLS listeners on free ports. Each is undone by the test that made it.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs an Erlang expression in the broker and returns what it printed. */
export async function rabbitmqEval(expression: string): Promise<string> {
  // The rabbitmqctl wrapper passes its arguments through `sh -c` with only `"` escaped.
  if (/[$`\\]/.test(expression)) throw new Error('rabbitmqEval: $, ` and \\ do not survive the wrapper');
  const { stdout } = await run('rabbitmqctl', ['eval', expression], { timeout: 120_000 });
  return stdout.trim();
}

/** An Erlang binary from any text, through base64 so that nothing needs quoting. */
export function erlangBinary(text: string | Buffer): string {
  return `base64:decode("${Buffer.from(text).toString('base64')}")`;
}

async function expectOk(expression: string, what: string): Promise<void> {
  const output = await rabbitmqEval(expression);
  if (output !== 'ok') throw new Error(`${what} failed: ${output}`);
}

/**
 * Adds a user with `password` and full permissions on resources whose names start with `prefix` in
 * the default vhost. Resolves to a function that deletes it.
 */
export async function addUser(name: string, password: string, prefix: string): Promise<() => Promise<void>> {
  const user = erlangBinary(name);
  const acting = '<<"tidings-security-test">>';
  const pattern = erlangBinary(`^${prefix}`);
  await expectOk(
    `ok = rabbit_auth_backend_internal:add_user(${user}, ${erlangBinary(password)}, ${acting}), ` +
      `rabbit_auth_backend_internal:set_permissions(${user}, <<"/">>, ${pattern}, ${pattern}, ${pattern}, ${acting}).`,
    `adding user ${name}`,
  );
  return () => expectOk(`rabbit_auth_backend_internal:delete_user(${user}, ${acting}).`, `deleting ${name}`);
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
