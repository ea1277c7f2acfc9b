import type { ModulesContainer } from '@nestjs/core';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import type { OwnedRoutes } from './forward-routes.js';
import { TidingsFeature, TidingsFeatureModule } from './tidings-feature.js';
import { TIDINGS_FEATURE } from './tokens.js';

/** One module of the application graph (Nest's `Module`, a deep import we avoid naming). */
type NestModule = ModulesContainer extends Map<string, infer M> ? M : never;

/**
 * Which module imports which `TidingsModule.forFeature()`, read from the application's module graph
 * once its modules are instantiated. A feature applies to the module that imports it, not to the
 * modules that module imports: the same as Nest's own `forFeature` modules, scoped to their importer.
 */
export class FeatureRegistry {
  readonly #byHost = new Map<NestModule, TidingsFeature>();
  /** Each feature once (a forFeature() result imported by two modules is one feature), with its importers. */
  readonly #importers = new Map<TidingsFeature, string[]>();

  constructor(modules: ModulesContainer) {
    for (const host of modules.values()) {
      for (const imported of host.imports) {
        if (imported.metatype !== TidingsFeatureModule) continue;
        const feature = imported.getProviderByKey<TidingsFeature>(TIDINGS_FEATURE)?.instance;
        if (!(feature instanceof TidingsFeature)) continue;
        const name = host.metatype?.name ?? '(anonymous module)';
        if (this.#byHost.has(host) && this.#byHost.get(host) !== feature) {
          // Two sets of defaults for one module's consumers: which wins would be an accident of order.
          throw new InvalidArgumentError(
            `${name} imports TidingsModule.forFeature() twice: give its consumer defaults and routes in one call`,
          );
        }
        this.#byHost.set(host, feature);
        this.#importers.set(feature, [...(this.#importers.get(feature) ?? []), name]);
      }
    }
  }

  /** The feature of the module that declares a provider (`InstanceWrapper.host`), if it has one. */
  featureOf(host: NestModule | undefined): TidingsFeature | undefined {
    return host === undefined ? undefined : this.#byHost.get(host);
  }

  /** The `forward` routes of every feature, each named by the modules that import it. */
  routes(): OwnedRoutes[] {
    return [...this.#importers].map(([feature, importers]) => ({
      owner: `TidingsModule.forFeature in ${importers.join(', ')}`,
      routes: feature.forward,
    }));
  }
}
