#!/usr/bin/env node
// `npm run test:reliability`: runs the fault-injection scenarios (vitest.reliability.config.ts) one file at
// a time against the local servers, then prints the figures each scenario wrote to test/.tmp/reliability
// as the Markdown table the README's "Guarantees" section shows. RELIABILITY_SIZE=ci for the CI size.
// Extra arguments go to vitest (a file filter, say).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const figuresDirectory = `${root}test/.tmp/reliability/`;
rmSync(figuresDirectory, { recursive: true, force: true });

const vitest = spawnSync(
  process.execPath,
  [
    `${root}node_modules/vitest/vitest.mjs`,
    'run',
    '--config',
    'vitest.reliability.config.ts',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);

const files = existsSync(figuresDirectory)
  ? readdirSync(figuresDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()
  : [];
if (files.length > 0) {
  const rows = files.map((name) => JSON.parse(readFileSync(`${figuresDirectory}${name}`, 'utf8')));
  const cell = (value) =>
    value === undefined ? '–' : Array.isArray(value) ? value.join(', ') || '–' : value;
  console.log(`\nReliability figures (${rows[0].runSize} size, ${rows[0].at.slice(0, 10)}):\n`);
  console.log('| scenario | size | lost | phantom | duplicated | recovered | recovery ms | notes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.scenario} | ${row.size} | ${row.lost} | ${row.phantom} | ${row.duplicated} | ` +
        `${cell(row.recovered)} | ${cell(row.recoveryMs)} | ${cell(row.notes)} |`,
    );
  }
}
process.exit(vitest.status ?? 1);
