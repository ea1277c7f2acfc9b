// The Prisma client of examples/prisma.ts, generated from examples/shop/schema.prisma into test/.tmp
// (about two seconds, offline: the query compiler is in the npm package). In your code:
// `import { PrismaClient } from './generated/prisma/client.js'`, from your own `prisma generate`.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PrismaMariaDb } from '@prisma/adapter-mariadb';
import type { PrismaTransactionClient } from 'tidings/prisma';

/** What the example uses of the generated client (the generated types say the same, and more). */
export interface PrismaClient extends PrismaTransactionClient<PrismaClient> {
  order: {
    create(args: { data: { id: string; total: number } }): Promise<unknown>;
    findMany(): Promise<{ id: string }[]>;
  };
  $disconnect(): Promise<void>;
}

const require = createRequire(import.meta.url);
const schema = fileURLToPath(new URL('schema.prisma', import.meta.url));
// `generate` never runs the schema engine, so any file does for the one the CLI would download.
await promisify(execFile)(
  process.execPath,
  [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema],
  {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  },
);

export const { PrismaClient } = require('../../test/.tmp/prisma/example/client/index.js') as {
  PrismaClient: new (options: { adapter: PrismaMariaDb }) => PrismaClient;
};
