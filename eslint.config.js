// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import { URL } from 'node:url';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/** A zone of import-x/no-restricted-paths: `target` imports nothing from the folders above it. */
function layer(target, above) {
  return {
    target: `./${target}`,
    from: above.map((folder) => `./src/${folder}`),
    message: `${target} is below ${above.join(', ')}: it must not import them (layers point down).`,
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/.tmp/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Sources import each other as `./x.js` (what Node loads after the build): resolve that to x.ts,
      // or the import rules below would see nothing to check.
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      // The dispatcher rejects with exactly what a listener threw, whatever its type.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // The layers of src/ only point down (docs/development.md, "Layout"): entry points and the CLI →
    // adapters (rabbitmq, memory, postgres, redis) → messaging → deferred → dispatcher → internal and
    // errors. An adapter does not reach into another, except createTransport() (rabbitmq) choosing the
    // in-memory transport. File cycles are caught by import-x/no-cycle; this catches a folder importing
    // one above it, which a cycle check misses until the loop closes.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            layer('src/internal', ['dispatcher', 'deferred', 'messaging', 'adapters', 'cli']),
            layer('src/errors', ['dispatcher', 'deferred', 'messaging', 'adapters', 'cli']),
            layer('src/dispatcher', ['deferred', 'messaging', 'adapters', 'cli']),
            layer('src/deferred', ['messaging', 'adapters', 'cli']),
            layer('src/messaging', ['adapters', 'cli']),
            layer('src/adapters', ['cli']),
            ...readdirSync(new URL('./src/adapters/', import.meta.url)).map((adapter) => ({
              target: `./src/adapters/${adapter}`,
              from: './src/adapters',
              except: adapter === 'rabbitmq' ? ['./rabbitmq', './memory'] : [`./${adapter}`],
              message: 'An adapter does not import another adapter.',
            })),
            // Entry points are at the top; nothing in src/ imports one (it would load every driver).
            ...readdirSync(new URL('./src/', import.meta.url))
              .filter((file) => file.endsWith('.ts'))
              .map((entry) => ({
                target: './src/*/**',
                from: `./src/${entry}`,
                message: 'Entry points are for users: import the module itself.',
              })),
          ],
        },
      ],
    },
  },
  {
    // Tests and benchmarks deliberately feed wrong types and unsafe values to the API.
    files: ['test/**', 'benchmarks/**', 'examples/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Standard-decorator tests are type-checked by their own tsconfig (no experimentalDecorators).
    files: ['**/*.tc39.test.ts', 'test/fixtures/tc39/**'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './tsconfig.tc39.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
