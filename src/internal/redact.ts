/**
 * The one place where tidings hides passwords: in a text (`redact`), in a URL shown to people
 * (`redactUrl`), which forms of a URL's password to hide (`passwordsOf`) and of a password given
 * otherwise (`secretForms`). Everything that prints a URL or passes on a lower layer's message goes
 * through these; the adapters only say where their client keeps a password.
 */

/** How a URL's scheme reads its user information. */
export interface UrlRedaction {
  /**
   * Whether the user name may be the password too, and is hidden with it. ioredis reads
   * `redis://secret@host` as the password "secret": a Redis URL shows no user information at all, and
   * a user name without a password is a secret to remove from messages.
   * @defaultValue false: the user name is shown (`amqp://user:***@host`), only the password is hidden
   */
  userNameIsSecret?: boolean;
}

/**
 * Secrets shorter than this are not replaced: an empty one would put `***` between every character, and
 * one of a letter or two would mangle every word that holds it while hiding next to nothing.
 */
const MIN_SECRET_LENGTH = 3;

/** Replaces every secret (of 3 characters or more) in `text` with `***`, the longest first. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  // Longest first: a secret that holds a shorter one must go whole, not leave its remainder behind.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) result = result.split(secret).join('***');
  }
  return result;
}

/**
 * The URL with everything between the user name and the host replaced by `***`. Done on the text, not
 * on a parsed URL: in a broken URL the password can end up anywhere (`user:pw@host` parses as scheme
 * `user:`, a `/` in a password turns it into a host and a path), and it must not show there either.
 * Everything after the scheme up to the last `@` is user information; what follows its first `:` is
 * hidden (all of it with `userNameIsSecret`).
 */
export function redactUrl(url: string, options: UrlRedaction = {}): string {
  const hidden = hiddenSpan(url, options);
  const masked = hidden === undefined ? url : `${url.slice(0, hidden.start)}***${url.slice(hidden.end)}`;
  // libpq and pg also take the password as a query parameter (`?password=…`).
  return masked.replace(PASSWORD_PARAMETER, (_, name: string) => `${name}***`);
}

/** A `password=` (or `sslpassword=`) query parameter and its value, up to the next `&` or `#`. */
const PASSWORD_PARAMETER = /([?&](?:ssl)?password=)[^&#]*/gi;

/**
 * Every form in which the passwords of these URLs could show in a message, longest first: as the URL
 * parser gives it, URL-decoded, and encoded as `encodeURIComponent` does. Also what `redactUrl` masks,
 * found on the text by the same rule: a URL that does not parse, or parses other than meant
 * (`user:pw@host` as scheme `user:`; an unescaped `@` in a password), may be echoed by its error.
 */
export function passwordsOf(urls: readonly string[], options: UrlRedaction = {}): string[] {
  return secretForms(
    urls.flatMap((url) => {
      const parsed = URL.canParse(url) ? new URL(url) : undefined;
      const hidden = hiddenSpan(url);
      const passwords = [
        parsed?.password ?? '',
        hidden === undefined ? '' : url.slice(hidden.start, hidden.end),
        ...[...url.matchAll(PASSWORD_PARAMETER)].map((match) => match[0].slice(match[1]!.length)),
      ];
      if (options.userNameIsSecret === true && parsed !== undefined && parsed.password === '') {
        passwords.push(parsed.username);
      }
      return passwords;
    }),
  );
}

/**
 * Every form in which these passwords could show in a message, longest first (what `redact` takes): as
 * given, URL-decoded, and encoded as `encodeURIComponent` does. For passwords that come from elsewhere
 * than a URL: a client's options, say.
 */
export function secretForms(passwords: readonly unknown[]): string[] {
  const forms = passwords
    .filter((password): password is string => typeof password === 'string' && password !== '')
    .flatMap((password) => {
      const decoded = safeDecode(password);
      return [password, decoded, encodeURIComponent(decoded)];
    });
  return [...new Set(forms)].filter((form) => form !== '').sort((a, b) => b.length - a.length);
}

/**
 * Where the password of a URL's text is (see `redactUrl`), or `undefined` when it has none; with
 * `userNameIsSecret`, the whole user information.
 */
function hiddenSpan(url: string, options: UrlRedaction = {}): { start: number; end: number } | undefined {
  const at = url.lastIndexOf('@');
  if (at === -1) return undefined;
  const scheme = url.indexOf('://');
  const start = scheme !== -1 && scheme < at ? scheme + 3 : 0;
  if (options.userNameIsSecret === true) return { start, end: at };
  const colon = url.indexOf(':', start);
  if (colon === -1 || colon > at) return undefined;
  return { start: colon + 1, end: at };
}

/** `decodeURIComponent`, or the text as it is when it holds a malformed %-escape. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
