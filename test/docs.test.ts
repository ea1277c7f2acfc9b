// The README and docs/: every TypeScript snippet is a region of an example that the tests run, and every
// relative link leads to a file and heading that exist (scripts/snippets.mjs; `npm run docs` rewrites
// stale snippets from their examples).
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFiles, processPage } from '../scripts/snippets.mjs';

const root = new URL('..', import.meta.url).pathname;
const pages = documentationFiles();

describe('documentation', () => {
  it('has the README and a page per topic', () => {
    expect(pages.length).toBeGreaterThan(10);
  });

  it.each(pages.map((page) => [relative(root, page), page]))(
    '%s: snippets match their examples, links resolve',
    (_, page) => {
      expect(processPage(page, { check: true })).toEqual([]);
    },
  );
});

/** The event names of the table rows in one section (`## heading`) of a page. */
function documentedEvents(page: string, heading: string): string[] {
  const text = readFileSync(new URL(`../docs/${page}`, import.meta.url), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith(heading)) ?? '';
  return [...section.matchAll(/^\| `([a-z-]+)`/gm)].map((match) => match[1]!).sort();
}

/**
 * The event names the source files emit (`this.emit('x'`, and the relay's `#notify('x'` / `notify('x'`); a path
 * ending in `/` stands for every file of that folder, so a component split into files is read whole.
 */
function emittedEvents(...paths: string[]): string[] {
  const names = new Set<string>();
  const files = paths.flatMap((path) =>
    path.endsWith('/')
      ? readdirSync(new URL(`../src/${path}`, import.meta.url))
          .filter((name) => name.endsWith('.ts'))
          .map((name) => `${path}${name}`)
      : [path],
  );
  for (const file of files) {
    const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8');
    for (const match of source.matchAll(/(?:\.emit|#notify|\bnotify)\(\s*'([a-z-]+)'/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

describe('docs/events.md', () => {
  it.each([
    ['Transports', ['adapters/rabbitmq/', 'adapters/memory/']],
    ['`Consumer` and `Bridge`', ['messaging/consumer/', 'messaging/bridge.ts']],
    ['`OutboxRelay`', ['messaging/outbox/outbox-relay.ts', 'messaging/outbox/record-outcomes.ts']],
  ])('%s: lists every event the source emits, and no other', (heading, files) => {
    expect(documentedEvents('events.md', heading)).toEqual(emittedEvents(...files));
  });
});

describe('docs/errors.md', () => {
  // Importing both entry points through vitest's transform takes seconds on a loaded machine.
  it('lists every exported error class with its code', { timeout: 60_000 }, async () => {
    const table = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    // Each error class declares its code in its own file: `readonly code: string = 'ERR_TIDINGS_…'`.
    const codes = new Map<string, string>();
    for (const file of readdirSync(new URL('../src/errors', import.meta.url))) {
      const source = readFileSync(new URL(`../src/errors/${file}`, import.meta.url), 'utf8');
      const match = /export class (\w+)[\s\S]*?\bcode\b[^=;]*= '(ERR_TIDINGS_[A-Z_]+)'/.exec(source);
      if (match) codes.set(match[1]!, match[2]!);
    }
    const modules = [await import('../src/index.js'), await import('../src/postgres.js')];
    const exported = modules
      .flatMap((module) => Object.entries(module))
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
      .map(([name]) => name);
    expect(exported.length).toBeGreaterThan(15);
    for (const name of exported) {
      expect(codes.get(name), name).toBeDefined();
      expect(table, name).toMatch(new RegExp(`^\\| \`${name}\` +\\| \`${codes.get(name)}\``, 'm'));
    }
  });
});
