/**
 * Gives a plain object an own, enumerable, writable property, whatever the key: also `__proto__`, which
 * an assignment would take as the prototype, and a name `Object.prototype` has (`toString`), which an
 * assignment cannot shadow when the intrinsics are frozen. Only those keys go through
 * `Object.defineProperty`: defining every key runs V8's runtime instead of an inline cache, and cost a
 * fifth of decoding a repeat's header table.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key in Object.prototype) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
