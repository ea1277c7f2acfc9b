// A comma-separated list of broker URLs (AMQP_URL, the CLI's --url) is read one way everywhere.
import { describe, expect, it } from 'vitest';
import { amqpUrlsFrom } from '../../src/adapters/rabbitmq/amqp-url.js';
import { brokerLabel, brokerUrls } from '../../src/cli/broker-urls.js';

describe('amqpUrlsFrom', () => {
  it('splits on commas and trims each URL', () => {
    expect(amqpUrlsFrom('amqp://a')).toEqual(['amqp://a']);
    expect(amqpUrlsFrom('amqp://a, amqp://b ,amqp://c')).toEqual(['amqp://a', 'amqp://b', 'amqp://c']);
  });

  it('drops empty entries: a trailing comma, a doubled one, spaces', () => {
    expect(amqpUrlsFrom('amqp://a,')).toEqual(['amqp://a']);
    expect(amqpUrlsFrom(',amqp://a,, ,amqp://b')).toEqual(['amqp://a', 'amqp://b']);
  });

  it('reads an empty or missing list as no URL', () => {
    for (const text of ['', ' ', ',', ' , ', undefined]) expect(amqpUrlsFrom(text)).toEqual([]);
  });
});

describe('brokerUrls (the CLI)', () => {
  it('takes --url, else AMQP_URL, else nothing (the default broker)', () => {
    const env = { AMQP_URL: 'amqp://env1, amqp://env2,' };
    expect(brokerUrls('amqp://flag,', env)).toEqual(['amqp://flag']);
    expect(brokerUrls(undefined, env)).toEqual(['amqp://env1', 'amqp://env2']);
    expect(brokerUrls(undefined, {})).toBeUndefined();
  });

  it('reads an empty --url or AMQP_URL as not given', () => {
    expect(brokerUrls('', { AMQP_URL: 'amqp://env' })).toEqual(['amqp://env']);
    expect(brokerUrls(undefined, { AMQP_URL: '' })).toBeUndefined();
    expect(brokerUrls(' , ', { AMQP_URL: ',' })).toBeUndefined();
  });

  it('labels the URLs with their passwords masked, or the default', () => {
    expect(brokerLabel(['amqp://u:secret@h1', 'amqp://h2'])).toBe('amqp://u:***@h1,amqp://h2');
    expect(brokerLabel(undefined)).toBe('amqp://guest:***@127.0.0.1:5672');
  });
});
