// Keeps every TypeScript snippet of the README and docs/ identical to code that runs.
//
// A snippet is written in Markdown as a marker followed by a fenced block:
//
//   <!-- example: examples/bridge.ts#consume -->
//   ```ts
//   …
//   ```
//
// `#consume` names a region of the example, the lines between `// #region consume` and the next
// `// #endregion` (region markers inside it are dropped, and the common indentation removed); without
// it the snippet is the whole file. `node scripts/snippets.mjs` rewrites every snippet from its example;
// `--check` changes nothing and exits 1 naming each snippet that is stale, has no marker, or names a
// missing file or region, and each relative link whose file or heading does not exist. The examples
// themselves are run by the tests (test/examples.test.ts, test/integration/examples.test.ts), so a
// snippet that passes this check runs as pasted.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** README.md and every Markdown page under docs/. */
export function documentationFiles() {
  const pages = [join(root, 'README.md')];
  const walk = (folder) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk(join(root, 'docs'));
  return pages;
}

/** The snippet text of `examples/x.ts` or `examples/x.ts#region`, or an error message. */
function exampleText(reference) {
  const [file, region] = reference.split('#');
  const path = join(root, file);
  if (!existsSync(path)) return { error: `${file} does not exist` };
  const lines = readFileSync(path, 'utf8').replace(/\n+$/, '').split('\n');
  const isMarker = (line) => /^\s*\/\/ #(end)?region\b/.test(line);
  let body = lines;
  if (region !== undefined) {
    const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
    if (start < 0) return { error: `${file} has no "// #region ${region}"` };
    // Regions do not nest: the first `// #endregion` after the start ends it.
    const end = lines.findIndex((line, index) => index > start && line.trim() === '// #endregion');
    if (end < 0) return { error: `${file}: region ${region} has no "// #endregion"` };
    body = lines.slice(start + 1, end);
  }
  body = body.filter((line) => !isMarker(line));
  const indent = Math.min(
    ...body.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length),
  );
  return { text: body.map((line) => line.slice(Number.isFinite(indent) ? indent : 0)).join('\n') };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown) {
  const anchors = new Set();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) anchors.add(anchorOf(heading[1]));
  }
  return anchors;
}

/** Relative links whose file, or heading in a Markdown file, does not exist. */
function brokenLinks(page, markdown) {
  const problems = [];
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, target] of withoutFences.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [file, anchor] = target.split('#');
    const path = file === '' ? page : resolve(dirname(page), file);
    if (!existsSync(path)) {
      problems.push(`links to ${target}, which does not exist`);
      continue;
    }
    if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(readFileSync(path, 'utf8')).has(anchor)) {
      problems.push(`links to ${target}, which has no heading #${anchor}`);
    }
  }
  return problems;
}

const SNIPPET = /(<!-- example: (\S+) -->\n)?```(ts|typescript)\n([\s\S]*?)```/g;

/** Checks (and unless `check`, rewrites) one page; returns its problems. */
export function processPage(page, { check }) {
  const problems = [];
  // A marker with no snippet under it gets an empty one to fill (reported by --check: the page shows no code).
  const original = readFileSync(page, 'utf8');
  const markdown = original.replace(
    /(<!-- example: (\S+) -->\n)\n*(?!```)/g,
    (_whole, marker, reference, offset) => {
      const line = original.slice(0, offset).split('\n').length;
      problems.push(`line ${line}: the marker of ${reference} has no snippet under it`);
      return `${marker}\`\`\`ts\n\`\`\`\n\n`;
    },
  );
  const updated = markdown.replace(SNIPPET, (whole, marker, reference, lang, code, offset) => {
    const line = markdown.slice(0, offset).split('\n').length;
    if (marker === undefined) {
      problems.push(`line ${line}: a TypeScript snippet without an <!-- example: … --> marker`);
      return whole;
    }
    const { text, error } = exampleText(reference);
    if (error !== undefined) {
      problems.push(`line ${line}: ${error}`);
      return whole;
    }
    if (code !== `${text}\n`) problems.push(`line ${line}: the snippet differs from ${reference}`);
    return `${marker}\`\`\`${lang}\n${text}\n\`\`\``;
  });
  problems.push(...brokenLinks(page, markdown));
  if (!check && updated !== original) writeFileSync(page, updated);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let failed = false;
  for (const page of documentationFiles()) {
    for (const problem of processPage(page, { check })) {
      // Only --check reports stale snippets: without it they were just rewritten.
      if (!check && (problem.includes('the snippet differs') || problem.includes('has no snippet under it')))
        continue;
      failed = true;
      console.error(`${relative(root, page)}: ${problem}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
