import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Each entry point of the package, to its source. Exact matches: a plain `tidings` key would also
// rewrite the prefix of `tidings/postgres`.
const entryPoints = {
  tidings: 'index.ts',
  'tidings/dispatcher': 'dispatcher.ts',
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
  'tidings/nestjs': 'nestjs.ts',
};
const alias = Object.entries(entryPoints).map(([name, file]) => ({
  find: new RegExp(`^${name}$`),
  replacement: fileURLToPath(new URL(`./src/${file}`, import.meta.url)),
}));

// esbuild (vite's default transform) does not emit decorator metadata, so test code is compiled by SWC:
// legacy decorators with `design:paramtypes` for most tests, TC39 standard decorators for *.tc39.test.ts.
const legacyDecorators = swc.vite({
  tsconfigFile: false,
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
  },
});
const standardDecorators = swc.vite({
  tsconfigFile: false,
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: false, decoratorMetadata: false, decoratorVersion: '2022-03' },
  },
});

export default defineConfig({
  test: {
    // The integration project's global teardown lists the servers' objects again, twice when it finds
    // leftovers (test/setup/check-servers.ts); vitest's default of 10 s would cut it short.
    teardownTimeout: 60_000,
    projects: [
      // Three tiers (package.json scripts): `unit` and `tc39` need nothing but the source
      // (npm run test:unit), `dist` needs the build (npm run test:dist), `integration` needs the servers
      // and the build (npm run test:integration). `npm test` builds and runs them all.
      {
        plugins: [legacyDecorators],
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.tc39.test.ts', 'test/integration/**', 'test/dist/**', 'test/.tmp/**'],
          typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        // The built package (dist/), loaded as users load it: no server, but `npm run build` first.
        plugins: [legacyDecorators],
        resolve: { alias },
        test: { name: 'dist', include: ['test/dist/**/*.test.ts'] },
      },
      {
        // Against the real servers: RabbitMQ, Redis and PostgreSQL at AMQP_URL, REDIS_URL and DATABASE_URL
        // (default: the local ones, test/integration/servers.ts). The global setup checks that each
        // answers and fails the run at once, naming the missing ones, rather than let tests retry.
        plugins: [legacyDecorators],
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/check-servers.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [standardDecorators],
        resolve: { alias },
        test: { name: 'tc39', include: ['test/**/*.tc39.test.ts'] },
      },
    ],
  },
});
