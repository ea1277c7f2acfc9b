// 1b. What tidings' envelope costs, element by element: raw amqplib publishing with confirms, 1000
// unconfirmed at most, the same 200-byte body every time, adding one part of the envelope
// `Publisher.send` writes (docs/wire-format.md) per case, then all of them; `Publisher.send` beside
// them. The broker column shows what each part costs RabbitMQ, which is the bound of this path: the
// question "could send reach 0.95× a bare publish?" is answered by the row with all of them.
import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import {
  CONFIRM_WINDOW,
  jsonBody,
  persistent,
  tidingsEnvelope,
  type Case,
  type Scenario,
} from './harness.js';
import { reportedRatio } from './goals.js';
import { preparePublishing, rawCase, sendCase, type RawMessage, type Setup } from './publish.js';

const BARE = 'amqplib, a short message id and the content type';
const ORIGIN = '+ the x-tidings-origin header';
const NAMED = '+ type, appId and timestamp';
const UUID = '+ a UUID message id';
const ALL = "+ all of them: tidings' envelope";
const SEND = 'tidings Publisher.send';

const BODY = jsonBody(1);
/** The same body every time, with the properties `properties` gives message `seq`. */
const message =
  (properties: (seq: number, routingKey: string) => Options.Publish): RawMessage =>
  (seq, setup) => ({ content: BODY, properties: properties(seq, setup.routingKey) });

const cases: Case<Setup>[] = [
  rawCase(
    BARE,
    CONFIRM_WINDOW,
    message((seq) => persistent(String(seq))),
  ),
  rawCase(
    ORIGIN,
    CONFIRM_WINDOW,
    message((seq) => persistent(String(seq), { 'x-tidings-origin': 'bench' })),
    true,
  ),
  rawCase(
    NAMED,
    CONFIRM_WINDOW,
    message((seq, routingKey) => ({
      ...persistent(String(seq)),
      type: routingKey,
      appId: 'bench',
      timestamp: Math.floor(Date.now() / 1000),
    })),
    true,
  ),
  rawCase(
    UUID,
    CONFIRM_WINDOW,
    message(() => persistent(randomUUID())),
    true,
  ),
  rawCase(
    ALL,
    CONFIRM_WINDOW,
    message((_seq, routingKey) => tidingsEnvelope(routingKey)),
    true,
  ),
  sendCase(SEND, CONFIRM_WINDOW, false),
];

export const scenario: Scenario<Setup> = {
  id: 'envelope',
  cases,
  async prepare(context) {
    const { timing, ...plan } = await preparePublishing(context, 'envelope');
    return {
      ...plan,
      report: {
        title: `What the envelope costs: raw amqplib with confirms, window ${CONFIRM_WINDOW}, one part of tidings' envelope at a time`,
        notes: [
          timing,
          'every raw case sends the same 200-byte JSON body, persistent and mandatory, with a content type; each "+" row adds one part of what Publisher.send writes (docs/wire-format.md) to that: references, not peers',
          "× amqplib: each row against the bare one; the broker's CPU per message is what each part costs RabbitMQ",
        ],
        unit: 'msgs/s',
        goals: [
          reportedRatio('envelope', ORIGIN, BARE),
          reportedRatio('envelope', NAMED, BARE),
          reportedRatio('envelope', UUID, BARE),
          reportedRatio('envelope', ALL, BARE),
          reportedRatio('envelope', SEND, ALL),
        ],
      },
    };
  },
};
