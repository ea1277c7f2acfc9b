import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const alias = { tidings: fileURLToPath(new URL('./src/index.ts', import.meta.url)) };

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
    projects: [
      {
        plugins: [legacyDecorators],
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.tc39.test.ts', 'test/integration/**', 'test/.tmp/**'],
          typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        // Against the real servers (RabbitMQ, Redis, PostgreSQL on localhost, or AMQP_URL, REDIS_URL,
        // DATABASE_URL): .ci/run makes sure they answer before the tests start.
        plugins: [legacyDecorators],
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
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
