// The layer rule of eslint.config.js, exercised: the imports it must refuse and the ones it must let
// through. Linting only proves the tree is clean today; this proves the rule still sees imports at all
// (before the resolver setting, `./x.js` never resolved to x.ts and every import rule passed vacuously).
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
// A plain JS module without declarations: loaded by URL and typed here.
const { default: config } = (await import(new URL('eslint.config.js', `file://${root}`).href)) as {
  default: Linter.Config[];
};

/** The project's own import-x settings and layer rule, without the type-aware rules (slow, not needed). */
function layerConfig(): Linter.Config[] {
  const entries = config;
  const withResolver = entries.find((entry) => entry.settings?.['import-x/resolver-next'] !== undefined);
  const withZones = entries.find((entry) => entry.rules?.['import-x/no-restricted-paths'] !== undefined);
  if (withResolver === undefined || withZones === undefined) {
    throw new Error('eslint.config.js no longer has the import-x resolver or the layer rule');
  }
  return [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: withResolver.plugins!,
      settings: withResolver.settings!,
      rules: { 'import-x/no-restricted-paths': withZones.rules!['import-x/no-restricted-paths']! },
    },
  ];
}

const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: layerConfig() });

/** The messages of the layer rule for `source` as if it were the file at `filePath`. */
async function violations(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

describe('layers only point down (import-x/no-restricted-paths)', () => {
  it.each([
    ['messaging importing an adapter', 'src/messaging/publisher.ts', '../adapters/memory/deque.js'],
    ['the dispatcher importing deferred', 'src/dispatcher/event.ts', '../deferred/recorder.js'],
    ['deferred importing messaging', 'src/deferred/flusher.ts', '../messaging/names.js'],
    ['internal importing the dispatcher', 'src/internal/backoff.ts', '../dispatcher/event.js'],
    ['an adapter importing another', 'src/adapters/redis/redis-endpoint.ts', '../postgres/pg-identifier.js'],
    ['an adapter importing the CLI', 'src/adapters/postgres/pg-outbox.ts', '../../cli/durations.js'],
    ['a module importing an entry point', 'src/messaging/bridge.ts', '../index.js'],
  ])('refuses %s', { timeout: 30_000 }, async (_, file, imported) => {
    const found = await violations(file, `import '${imported}';\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^import-x\/no-restricted-paths: /);
  });

  it.each([
    [
      'messaging importing deferred and errors',
      'src/messaging/bridge.ts',
      ['../deferred/flusher.js', '../errors/invalid-argument-error.js'],
    ],
    ['an adapter importing messaging', 'src/adapters/redis/redis-endpoint.ts', ['../../messaging/names.js']],
    [
      'createTransport choosing the memory transport',
      'src/adapters/rabbitmq/create-transport.ts',
      ['../memory/memory-transport.js'],
    ],
    ['the CLI importing an adapter', 'src/cli/tidings.ts', ['../adapters/postgres/pg-outbox.js']],
  ])('allows %s', { timeout: 30_000 }, async (_, file, imports) => {
    const source = imports.map((imported) => `import '${imported}';\n`).join('');
    expect(await violations(file, source)).toEqual([]);
  });
});
