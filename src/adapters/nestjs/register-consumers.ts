import type { ExternalContextCreator } from '@nestjs/core';
import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import type { Bridge } from '../../messaging/bridge.js';
import type { ConsumedMessage } from '../../messaging/consumer/consumed-message.js';
import { hydrate } from '../../messaging/hydrate.js';
import { validatePayload } from '../../messaging/standard-schema.js';
import { consumeMarksOf, type ConsumeQueueOptions } from './consume.js';
import { dtoValidatorFor, type DtoValidator } from './dto-validation.js';
import { methodsOf, type DiscoveredProvider } from './discovered-provider.js';
import { enhancedCall, plainCall } from './enhanced-call.js';
import type { FeatureRegistry } from './feature-registry.js';

/** What the consumers need of the application besides their providers. */
export interface ConsumerContext {
  readonly bridge: Bridge;
  /** The `consumerDefaults` of each provider's module (`TidingsModule.forFeature`). */
  readonly features: FeatureRegistry;
  /** Nest's, for the methods that ask for `enhancers`. */
  readonly contextCreator: ExternalContextCreator;
}

/**
 * Declares one consumer on the bridge per `@Consume` of every discovered provider; the bridge starts
 * them with `start()` (at application bootstrap) and stops them with `close()`. The options are the
 * decorator's over the `consumerDefaults` of the provider's module. Each message: the payload is
 * validated by `schema`, then built into `event` and, for a class-validator DTO, validated (a failure
 * is an `InvalidContentError`, which dead-letters it as `invalid-content`), the instance is resolved for it (a fresh one per message for a
 * provider resolved per context), then the method runs with `(payload, message)`, through Nest's guards
 * and interceptors when `enhancers` is true. What the method throws goes to the consumer's repeat and
 * dead-letter rules, never further.
 *
 * Returns the queues, in declaration order.
 */
export function registerConsumers(
  providers: readonly DiscoveredProvider[],
  { bridge, features, contextCreator }: ConsumerContext,
): string[] {
  const queues: string[] = [];
  for (const provider of providers) {
    const defaults = features.featureOf(provider.host)?.consumerDefaults ?? {};
    for (const { name, method } of methodsOf(provider.prototype)) {
      for (const mark of consumeMarksOf(method) ?? []) {
        const where = `@Consume on ${provider.name}.${String(name)}`;
        const { schema, event, validation, enhancers, ...consumerOptions } = {
          ...defaults,
          ...given(mark.options),
        };
        try {
          // Decided once per consumer: a class without class-validator decorators is hydrated as ever.
          const dto = event === undefined ? undefined : dtoValidatorFor(event, validation, where);
          const call = enhancers === true ? enhancedCall(contextCreator, name, where) : plainCall(name);
          bridge.consume({
            ...consumerOptions,
            handler: async (message) => {
              const payload = await payloadOf(message, schema, event, dto);
              const instance = await provider.instanceFor({ message });
              await call(instance, payload, { ...message, payload });
            },
          });
        } catch (error) {
          // The Consumer names the bad option; this names the method that carries it.
          if (!(error instanceof InvalidArgumentError)) throw error;
          throw new InvalidArgumentError(`${where}: ${error.message}`, { cause: error });
        }
        queues.push(consumerOptions.queue);
      }
    }
  }
  return queues;
}

/** The options the decorator gives a value: `prefetch: undefined` leaves the module's default. */
function given(options: ConsumeQueueOptions): ConsumeQueueOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as ConsumeQueueOptions;
}

async function payloadOf(
  message: ConsumedMessage,
  schema: ConsumeQueueOptions['schema'],
  event: ConsumeQueueOptions['event'],
  dto: DtoValidator | undefined,
): Promise<unknown> {
  const what = `a message of ${message.queue}`;
  let payload = message.payload;
  if (schema !== undefined) payload = await validatePayload(schema, payload, what);
  if (dto !== undefined) return dto(payload, what);
  return event === undefined ? payload : hydrate(event, payload);
}
