// The acks of a consumer channel go out together: one ack(multiple) for the settled run of deliveries,
// plain acks above a delivery still being handled, nacks at once; nothing on a channel no longer live.
import type { Channel, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { AckBatch } from '../../src/adapters/rabbitmq/ack-batch.js';

function fakeChannel() {
  const sent: string[] = [];
  const channel = {
    ack: (message: Message, allUpTo?: boolean) =>
      void sent.push(`ack ${message.fields.deliveryTag}${allUpTo === true ? ' multiple' : ''}`),
    nack: (message: Message, _allUpTo?: boolean, requeue?: boolean) =>
      void sent.push(`nack ${message.fields.deliveryTag}${requeue === true ? ' requeue' : ''}`),
  } as unknown as Channel;
  return { channel, sent };
}

const message = (tag: number): Message => ({ fields: { deliveryTag: tag } }) as unknown as Message;
const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

function batch(live = () => true) {
  const { channel, sent } = fakeChannel();
  const acks = new AckBatch(channel, live);
  const deliver = (...tags: number[]) => tags.map((tag) => (acks.delivered(message(tag)), message(tag)));
  return { acks, sent, deliver };
}

describe('AckBatch', () => {
  it('acks a run of settled deliveries with one ack(multiple), after the turn', async () => {
    const { acks, sent, deliver } = batch();
    for (const m of deliver(1, 2, 3, 4, 5)) acks.ack(m);
    expect(sent).toEqual([]); // nothing before the current turn's microtasks have run
    await nextTick();
    expect(sent).toEqual(['ack 5 multiple']);
  });

  it('acks one by one what lies above a delivery still being handled, and covers it all once that one is done', async () => {
    const { acks, sent, deliver } = batch();
    const [m1, m2, m3, m4] = deliver(1, 2, 3, 4);
    acks.ack(m1!);
    acks.ack(m3!);
    acks.ack(m4!);
    await nextTick();
    expect(sent).toEqual(['ack 3', 'ack 4', 'ack 1 multiple']);
    acks.ack(m2!);
    await nextTick();
    expect(sent.slice(3)).toEqual(['ack 2 multiple']); // 3 and 4 are no longer outstanding: only 2
  });

  it('sends nacks at once; an ack(multiple) over a nacked tag does not touch it', async () => {
    const { acks, sent, deliver } = batch();
    const [m1, m2, m3] = deliver(1, 2, 3);
    acks.ack(m1!);
    acks.nack(m2!, false);
    acks.ack(m3!);
    expect(sent).toEqual(['nack 2']);
    await nextTick();
    expect(sent).toEqual(['nack 2', 'ack 3 multiple']);
  });

  it('sends nothing on a channel that is no longer live (the broker redelivers)', async () => {
    let live = true;
    const { acks, sent, deliver } = batch(() => live);
    for (const m of deliver(1, 2)) acks.ack(m);
    live = false;
    await nextTick();
    expect(sent).toEqual([]);
  });

  it('flush() sends what is queued at once (before a channel closes)', () => {
    const { acks, sent, deliver } = batch();
    for (const m of deliver(7, 8)) acks.ack(m);
    acks.flush();
    expect(sent).toEqual(['ack 8 multiple']);
  });

  it('keeps batching behind a slow handler, however many deliveries pass it', async () => {
    const { acks, sent, deliver } = batch();
    const [slow] = deliver(1);
    for (let tag = 2; tag <= 70_001; tag++) {
      const [m] = deliver(tag);
      acks.ack(m!);
    }
    await nextTick();
    expect(sent).toHaveLength(70_000); // above the slow one: one by one, to free their prefetch slots
    acks.ack(slow!);
    const later = deliver(70_002, 70_003);
    for (const m of later) acks.ack(m);
    await nextTick();
    expect(sent.slice(70_000)).toEqual(['ack 70003 multiple']);
  });

  it('acks one by one once a tag did not follow the previous one (not all tags below are its own)', async () => {
    const { acks, sent, deliver } = batch();
    const [m1] = deliver(1);
    const [m3, m4] = deliver(3, 4); // tag 2 went elsewhere on the channel
    acks.ack(m1!);
    acks.ack(m3!);
    acks.ack(m4!);
    await nextTick();
    expect(sent).toEqual(['ack 1', 'ack 3', 'ack 4']);
  });
});
