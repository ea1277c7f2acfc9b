import { InvalidArgumentError } from '../../errors/invalid-argument-error.js';
import type { Bridge } from '../../messaging/bridge.js';
import type { ConsumedMessage } from '../../messaging/consumer/consumed-message.js';
import { hydrate } from '../../messaging/hydrate.js';
import { validatePayload } from '../../messaging/standard-schema.js';
import { consumeMarksOf, type ConsumeQueueOptions } from './consume.js';
import { dtoValidatorFor, type DtoValidator } from './dto-validation.js';
import { methodsOf, type DiscoveredProvider } from './discovered-provider.js';

/**
 * Declares one consumer on the bridge per `@Consume` of every discovered provider; the bridge starts
 * them with `start()` (at application bootstrap) and stops them with `close()`. Each message: the
 * payload is validated by `schema`, then built into `event` and, for a class-validator DTO, validated
 * (a failure is an `InvalidContentError`, which dead-letters it as `invalid-content`), the instance is resolved for it (a fresh one per message for a
 * provider resolved per context), then the method runs with `(payload, message)`. What the method
 * throws goes to the consumer's repeat and dead-letter rules, never further.
 *
 * Returns the queues, in declaration order.
 */
export function registerConsumers(providers: readonly DiscoveredProvider[], bridge: Bridge): string[] {
  const queues: string[] = [];
  for (const provider of providers) {
    for (const { name, method } of methodsOf(provider.prototype)) {
      for (const { options } of consumeMarksOf(method) ?? []) {
        const where = `@Consume on ${provider.name}.${String(name)}`;
        const { schema, event, validation, ...consumerOptions } = options;
        try {
          // Decided once per consumer: a class without class-validator decorators is hydrated as ever.
          const dto = event === undefined ? undefined : dtoValidatorFor(event, validation, where);
          bridge.consume({
            ...consumerOptions,
            handler: async (message) => {
              const payload = await payloadOf(message, schema, event, dto);
              const instance = (await provider.instanceFor({ message })) as Record<string | symbol, unknown>;
              const handler = instance[name] as (payload: unknown, message: ConsumedMessage) => unknown;
              await handler.call(instance, payload, { ...message, payload });
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
