import type { DynamicModule } from '@nestjs/common';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import { Bridge } from '../../messaging/bridge.js';
import type { ConsumerDefaults, TidingsFeatureOptions } from './tidings-feature-options.js';
import { TIDINGS_FEATURE } from './tokens.js';

/** The module class of every `TidingsModule.forFeature()` (internal: found by its class in the graph). */
export class TidingsFeatureModule {}

/** What one `forFeature()` call declared (internal), provided by its module under `TIDINGS_FEATURE`. */
export class TidingsFeature {
  /** Set by each call: two calls with equal options stay two modules, whatever Nest's module keys. */
  readonly serial: number;
  readonly consumerDefaults: ConsumerDefaults;
  readonly forward: NonNullable<TidingsFeatureOptions['forward']>;

  constructor(options: TidingsFeatureOptions, serial: number) {
    this.serial = serial;
    this.consumerDefaults = { ...options.consumerDefaults };
    this.forward = [...(options.forward ?? [])];
  }
}

let serial = 0;

/** The token of the root-module check (a class: a provider needs a token, this one holds nothing). */
class TidingsFeatureRootCheck {}

/** The dynamic module of `forFeature()`: the feature, and a check that the root module is there. */
export function featureModule(options: TidingsFeatureOptions, where: string): DynamicModule {
  const feature = new TidingsFeature(options, ++serial);
  return {
    module: TidingsFeatureModule,
    providers: [
      { provide: TIDINGS_FEATURE, useValue: feature },
      {
        // The root module is global, so its Bridge is visible here when it exists at all.
        provide: TidingsFeatureRootCheck,
        inject: [{ token: Bridge, optional: true }],
        useFactory: (bridge: Bridge | undefined) => {
          if (bridge === undefined) {
            throw new InvalidArgumentError(
              `${where} needs TidingsModule.forRoot() or forRootAsync() in the application (imported ` +
                `once, in the root module): the features share its transport, bridge and dispatcher`,
            );
          }
          return new TidingsFeatureRootCheck();
        },
      },
    ],
  };
}
