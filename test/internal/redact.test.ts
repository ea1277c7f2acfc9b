// The one redaction of tidings (src/internal/redact.ts): what every error, event and CLI line that could
// hold a password goes through.
import { describe, expect, it } from 'vitest';
import { passwordsOf, redact, redactUrl, secretForms } from '../../src/internal/redact.js';

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('a-s3cret-b-s3cret', ['s3cret'])).toBe('a-***-b-***');
    expect(redact('one two', ['one', 'two'])).toBe('*** ***');
  });

  it('ignores an empty secret instead of putting *** between every character', () => {
    expect(redact('abc', [''])).toBe('abc');
    expect(redact('abc', ['', 'abc'])).toBe('***');
  });

  it('ignores secrets shorter than 3 characters, which would mangle words and hide nothing', () => {
    expect(redact('a message about pw and x', ['pw', 'x'])).toBe('a message about pw and x');
    expect(redact('pwd', ['pwd'])).toBe('***');
  });

  it('removes a secret that holds a shorter one whole, whatever the order given', () => {
    expect(redact('key=abcdef', ['abc', 'abcdef'])).toBe('key=***');
    expect(redact('key=abcdef', ['abcdef', 'abc'])).toBe('key=***');
  });

  it('removes the encoded forms passwordsOf gives', () => {
    const secrets = passwordsOf(['amqp://user:p%40ss%2Fw0rd@host']);
    for (const text of ['p@ss/w0rd', 'p%40ss%2Fw0rd']) {
      expect(redact(`login with ${text} refused`, secrets)).toBe('login with *** refused');
    }
  });
});

describe('passwordsOf', () => {
  it('gives the password as written, decoded and encoded, longest first', () => {
    expect(passwordsOf(['amqp://user:p%40ss@host'])).toEqual(['p%40ss', 'p@ss']);
    // The WHATWG form of a space is %20 as encodeURIComponent writes it; of "!" it is "!" (kept as is).
    expect(passwordsOf(['postgres://u:a%20b!@db/x'])).toEqual(['a%20b!', 'a b!']);
    expect(passwordsOf(['postgres://u:a b@db/x'])).toEqual(['a%20b', 'a b']);
  });

  it('collects every URL of a list, and nothing of URLs without a password', () => {
    expect(passwordsOf(['amqp://a:one1@h1', 'amqp://h2', 'amqp://user@h3', 'amqp://b:two22@h4'])).toEqual([
      'two22',
      'one1',
    ]);
    expect(passwordsOf([])).toEqual([]);
  });

  it('keeps a malformed %-escape as written', () => {
    expect(passwordsOf(['amqp://u:100%zz@h'])).toEqual(['100%25zz', '100%zz']);
  });

  it('finds an unescaped @ in a password as written too', () => {
    expect(passwordsOf(['amqp://u:p@ss@h'])).toEqual(['p%40ss', 'p@ss']);
  });

  it('finds the password of a URL that does not parse or parses other than meant, as redactUrl masks it', () => {
    const secret = 'S3cr3t/pa55w0rd@Xq7#z:';
    // The first does not parse; the second parses as scheme "guest:" with no password at all.
    for (const url of [`amqp://guest:${secret}@127.0.0.1`, `guest:${secret}@127.0.0.1`]) {
      expect(passwordsOf([url])).toContain(secret);
      expect(redact(`Malformed: ${url}`, passwordsOf([url]))).toBe(
        redact(`Malformed: ${redactUrl(url)}`, []),
      );
    }
  });
});

describe('redactUrl', () => {
  it('masks what follows the user name up to the host', () => {
    expect(redactUrl('amqp://user:secret@host:5672/vh')).toBe('amqp://user:***@host:5672/vh');
    expect(redactUrl('amqp://host:5672')).toBe('amqp://host:5672');
    expect(redactUrl('amqp://user@host')).toBe('amqp://user@host');
    expect(redactUrl('user:pa/ss@host')).toBe('user:***@host');
  });
});

describe('a password in the query string', () => {
  const url = 'postgresql://app@db:5432/orders?sslmode=require&password=s3cr%40t&application_name=x';

  it('is masked by redactUrl', () => {
    expect(redactUrl(url)).toBe(
      'postgresql://app@db:5432/orders?sslmode=require&password=***&application_name=x',
    );
    expect(redactUrl('postgresql://db/x?PASSWORD=abc#frag')).toBe('postgresql://db/x?PASSWORD=***#frag');
  });

  it('is among the passwords to hide, decoded and encoded', () => {
    expect(passwordsOf([url])).toEqual(expect.arrayContaining(['s3cr%40t', 's3cr@t']));
  });
});

describe('a URL whose user name may be its password (Redis)', () => {
  const redis = { userNameIsSecret: true };

  it('shows no user information at all', () => {
    expect(redactUrl('redis://token@cache', redis)).toBe('redis://***@cache');
    expect(redactUrl('redis://someone:pw@cache:6379/0', redis)).toBe('redis://***@cache:6379/0');
    expect(redactUrl('redis://cache:6379', redis)).toBe('redis://cache:6379');
  });

  it('takes a user name without a password for a password', () => {
    expect(passwordsOf(['redis://t%40ken@cache'], redis)).toEqual(['t%40ken', 't@ken']);
    // With a password, the user name is an ACL user: not a secret to remove from every message.
    expect(passwordsOf(['redis://default:s3cret@cache'], redis)).toEqual(['s3cret']);
    expect(passwordsOf(['redis://token@cache'])).toEqual([]);
  });
});

describe('secretForms', () => {
  it('gives a password given otherwise than in a URL as written, decoded and encoded, longest first', () => {
    expect(secretForms(['a b', undefined, '', 42])).toEqual(['a%20b', 'a b']);
    expect(secretForms(['p%40ss', 'p%40ss'])).toEqual(['p%40ss', 'p@ss']);
  });
});
