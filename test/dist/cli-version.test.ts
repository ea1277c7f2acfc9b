// `tidings --version` reads the version from the package's own package.json when it runs, wherever the
// package is: the built dist/ of this repository (ES module and CommonJS builds), and a copy laid out as
// npm installs it (node_modules/tidings, run through the node_modules/.bin/tidings symlink) whose
// package.json says another version — so the version is not compiled in.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, repoRoot } from './helpers.js';

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  bin: { tidings: string };
};
// Inside the repository, so that the copy finds amqplib and the others in its node_modules.
const project = join(repoRoot, 'test', '.tmp', `cli-version-${process.pid}`);

describe('tidings --version', () => {
  beforeAll(() => {
    assertBuilt();
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('prints the version of package.json from dist/esm and dist/cjs', async () => {
    for (const script of [manifest.bin.tidings, 'dist/cjs/cli/tidings.js']) {
      const { stdout } = await run(process.execPath, [script, '--version'], { cwd: repoRoot });
      expect(stdout, script).toBe(`${manifest.version}\n`);
    }
  });

  it('prints the version of the installed package, through the bin symlink, from any directory', async () => {
    const installed = join(project, 'node_modules', 'tidings');
    mkdirSync(installed, { recursive: true });
    cpSync(join(repoRoot, 'dist'), join(installed, 'dist'), { recursive: true });
    writeFileSync(
      join(installed, 'package.json'),
      JSON.stringify({ ...manifest, version: '9.8.7-installed.1' }, null, 2),
    );
    mkdirSync(join(project, 'node_modules', '.bin'));
    const bin = join(project, 'node_modules', '.bin', 'tidings');
    symlinkSync(join('..', 'tidings', manifest.bin.tidings), bin);
    const { stdout } = await run(process.execPath, [bin, '-V'], { cwd: project });
    expect(stdout).toBe('9.8.7-installed.1\n');
    // A package.json without a name in between (dist/cjs has one) is passed over.
    const cjs = await run(process.execPath, [join(installed, 'dist/cjs/cli/tidings.js'), '--version']);
    expect(cjs.stdout).toBe('9.8.7-installed.1\n');
  });
});
