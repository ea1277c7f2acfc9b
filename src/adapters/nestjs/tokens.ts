/**
 * The injection token of the transport. `Transport` is an interface, which leaves nothing at run time
 * for Nest to match a constructor parameter against, so it is injected by this token:
 * `@Inject(TIDINGS_TRANSPORT) transport: Transport`. A registered symbol, so that the ES module and
 * CommonJS builds of tidings (if both end up loaded) name the same provider.
 */
export const TIDINGS_TRANSPORT: unique symbol = Symbol.for('tidings.nestjs.transport');

/** The module's resolved options (internal: users configure through `forRoot`/`forRootAsync`). */
export const TIDINGS_MODULE_OPTIONS: unique symbol = Symbol.for('tidings.nestjs.module-options');

/** What one `TidingsModule.forFeature()` declared (internal: a provider of the feature's module). */
export const TIDINGS_FEATURE: unique symbol = Symbol.for('tidings.nestjs.feature');
