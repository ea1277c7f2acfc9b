/**
 * What was going on when an event was recorded, kept for whoever reads the event later.
 *
 * An aggregate records an event in the middle of a request (inside its span), and the flush that writes
 * it to the outbox may run elsewhere: in a unit-of-work callback, a scheduled job, after the request's
 * span ended. The trace context active at `recordEvent` is the one the message belongs to, so the
 * messaging layer installs a capture here (it knows OpenTelemetry; this layer does not) and reads back,
 * for each event it encodes, what was captured. Without a capture installed (the messaging layer never
 * loaded, or no SDK registered) nothing is stored.
 */

type Capture = () => unknown;

let capture: Capture | undefined;
const captured = new WeakMap<object, unknown>();

/** Installs what `recordEvent` captures for each event (one per process; the last one wins). */
export function captureWhenRecording(capturing: Capture): void {
  capture = capturing;
}

/** Called by `recordEvent`: keeps what the capture returns for `event`, unless `undefined`. */
export function noteRecordingContext(event: object): void {
  if (capture === undefined) return;
  const value = capture();
  if (value !== undefined) captured.set(event, value);
}

/** What was captured when `event` was recorded, if anything. */
export function recordingContextOf(event: object): unknown {
  return captured.get(event);
}
