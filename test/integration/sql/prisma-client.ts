import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PrismaTransactionClient } from 'tidings/prisma';

/** What the tests use of a generated client (its transaction client is of the same shape). */
export interface GeneratedPrismaClient extends PrismaTransactionClient<GeneratedPrismaClient> {
  $disconnect(): Promise<void>;
}
type GeneratedClass = new (options: object) => GeneratedPrismaClient;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * Generates a Prisma client for `provider` into test/.tmp/prisma/<folder> (git-ignored) and loads
 * it; test files that may run at the same time each name their own folder. The Prisma CLI downloads its schema engine at every start unless PRISMA_SCHEMA_ENGINE_BINARY
 * names a file; `generate` never runs it (the client's query compiler is WASM inside the npm package),
 * so any file does. `db push` and `migrate` do run it: the tests create their tables with raw SQL.
 * The one model is never queried: a schema needs one for the client to be generated with its types.
 */
export async function generatePrismaClient(
  provider: 'postgresql' | 'mysql',
  folder: string = provider,
): Promise<GeneratedClass> {
  const dir = `${root}test/.tmp/prisma/${folder}`;
  await mkdir(dir, { recursive: true });
  await writeFile(
    `${dir}/schema.prisma`,
    `generator client {
  provider = "prisma-client-js"
  output   = "./client"
}
datasource db {
  provider = "${provider}"
}
model TidingsProbe {
  id Int @id
  @@map("tidings_prisma_probe")
}
`,
  );
  await promisify(execFile)(
    process.execPath,
    [require.resolve('prisma/build/index.js'), 'generate', '--schema', `${dir}/schema.prisma`],
    {
      cwd: root,
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    },
  );
  return (require(`${dir}/client/index.js`) as { PrismaClient: GeneratedClass }).PrismaClient;
}
