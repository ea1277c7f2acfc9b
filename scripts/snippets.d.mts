/** README.md and every Markdown page under docs/. */
export function documentationFiles(): string[];
/** Checks one page (and, unless `check`, rewrites its stale snippets); returns its problems. */
export function processPage(page: string, options: { check: boolean }): string[];
