/**
 * A FIFO with cheap removal at the head and cheap re-insertion at the head (for requeued messages).
 * `Array.prototype.shift` is O(n); a queue of 100 000 messages would make every delivery slow.
 */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts an item back at the head. */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    // Release the reference so a consumed message can be garbage-collected.
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes every item; returns how many there were. */
  clear(): number {
    const count = this.length;
    this.#items = [];
    this.#head = 0;
    return count;
  }
}
