import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Each entry point of the package, to its source. Exact matches: a plain `tidings` key would also
// rewrite the prefix of `tidings/postgres`.
const entryPoints = {
  tidings: 'index.ts',
  'tidings/rabbitmq': 'rabbitmq.ts',
  'tidings/postgres': 'postgres.ts',
  'tidings/mysql': 'mysql.ts',
  'tidings/redis': 'redis.ts',
  'tidings/prisma': 'prisma.ts',
  'tidings/typeorm': 'typeorm.ts',
  'tidings/mikro-orm': 'mikro-orm.ts',
  'tidings/drizzle': 'drizzle.ts',
  'tidings/kysely': 'kysely.ts',
  'tidings/knex': 'knex.ts',
};
const alias = Object.entries(entryPoints).map(([name, file]) => ({
  find: new RegExp(`^${name}$`),
  replacement: fileURLToPath(new URL(`./src/${file}`, import.meta.url)),
}));

// The reliability scenarios (test/reliability/scenarios, see test/reliability/README.md) inject faults
// into the shared local servers (a RabbitMQ stop_app stops every connection), so they run on their own,
// one file at a time, after `npm test`: `npm run test:reliability`, or RELIABILITY_SIZE=ci in .ci/run.
export default defineConfig({
  plugins: [
    swc.vite({
      tsconfigFile: false,
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      },
    }),
  ],
  resolve: { alias },
  test: {
    name: 'reliability',
    include: ['test/reliability/scenarios/**/*.reliability.ts'],
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
  },
});
