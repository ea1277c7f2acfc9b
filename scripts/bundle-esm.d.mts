/** The src/ file of each ES module entry point package.json names ("exports" and "bin"). */
export function esmEntryPoints(root: string): string[];
/** Bundles src/'s entry points into `outdir` as ES modules with shared chunks; throws on any esbuild error. */
export function bundleEsm(options: { root: string; outdir: string; sourcemap: boolean }): void;
/** Names of the classes the bundle renamed in one output file's code, given the class names of src/. */
export function renamedClasses(code: string, classNames: ReadonlySet<string>): string[];
