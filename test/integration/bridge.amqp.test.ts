import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { AmqpTransport } from '../../src/rabbitmq.js';
import { RedisRepeatCounter } from '../../src/redis.js';
import { bridgeScenarios, type ScenarioContext } from '../bridge/bridge-scenarios.js';
import { deleteKeysUnder } from '../helpers/redis-keys.js';
import { AMQP_URL, REDIS_URL } from './servers.js';

/** Every repeat count of this file; deleted afterwards. */
const keyPrefix = `tidings-test:${randomUUID().slice(0, 8)}:`;

let context: ScenarioContext | undefined;

bridgeScenarios('RabbitMQ with the Redis repeat counter', async () => {
  context ??= {
    transport: new AmqpTransport({ url: AMQP_URL }),
    counter: new RedisRepeatCounter({
      url: REDIS_URL,
      keyPrefix,
    }),
  };
  return context;
});

afterAll(async () => {
  await context?.transport.close();
  await context?.counter.close();
  await deleteKeysUnder(REDIS_URL, keyPrefix);
});
