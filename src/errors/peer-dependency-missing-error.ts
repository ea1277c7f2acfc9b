/**
 * A feature needs an optional peer dependency that is not installed (or failed to load): tidings loads
 * such a package only when the feature is used, and says which one to install.
 */
export class PeerDependencyMissingError extends Error {
  override readonly name = 'PeerDependencyMissingError';
  readonly code = 'ERR_TIDINGS_PEER_DEPENDENCY_MISSING' as const;
  /** The package to install, e.g. `@nestjs/terminus`. */
  readonly packageName: string;

  constructor(packageName: string, feature: string) {
    super(`${feature} needs the package "${packageName}": npm install ${packageName}`);
    this.packageName = packageName;
  }
}
