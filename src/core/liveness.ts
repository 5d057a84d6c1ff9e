// When a subscription is live: a stream that carries all its matchers is open. Each subscription
// hears `active` once per (stream, open); a seamless switch (the successor opened before the old
// stream closed) is not a new start, so it hears nothing.
import type { SseError } from './errors.js';
import type { Subscription } from './router.js';

/** Whether a stream carrying the matcher keys `keys` carries every matcher of `sub`. */
function carries(keys: ReadonlySet<string>, sub: Subscription): boolean {
  return sub.compiled.every((m) => keys.has(m.key));
}

/** Emits `active` to the subscriptions that `stream` (at its open number `opens`) carries and that have not heard it yet. */
export function announce(subs: Iterable<Subscription>, stream: object, opens: number, keys: ReadonlySet<string>): void {
  for (const sub of [...subs]) {
    if (!sub.listeners.hasListenersFor('active') || (sub.liveOn === stream && sub.liveOpens === opens)) continue;
    if (!carries(keys, sub)) continue;
    sub.liveOn = stream;
    sub.liveOpens = opens;
    sub.listeners.emit('active', undefined);
  }
}

/** A seamless switch from `old` to `next` (open `opens`, carrying `keys`): the subscriptions live on `old` that `next` carries stay live. */
export function carryLive(subs: Iterable<Subscription>, old: object, next: object, opens: number, keys: ReadonlySet<string>): void {
  for (const sub of subs) {
    if (sub.liveOn !== old || !carries(keys, sub)) continue;
    sub.liveOn = next;
    sub.liveOpens = opens;
  }
}

/**
 * The hub refused a matcher set asking for the matcher keys `refused` while the stream carrying `keys`
 * stayed up: the subscriptions that asked for them (and that stream does not carry) are marked
 * refused, so later switches leave them out, and hear the error `errorFor` makes of the refused
 * matchers they asked for. Those already refused hear nothing.
 * @returns that error and those matchers (sources), when any subscription heard it.
 */
export function refuse(
  subs: Iterable<Subscription>,
  keys: ReadonlySet<string>,
  refused: ReadonlySet<string>,
  errorFor: (matchers: readonly string[]) => SseError,
): { readonly error: SseError; readonly matchers: readonly string[] } | undefined {
  const told = [...subs].filter((sub) => !sub.refused && !carries(keys, sub) && sub.compiled.some((m) => refused.has(m.key)));
  if (told.length === 0) return undefined;
  const matchers = [...new Set(told.flatMap((sub) => sub.compiled.filter((m) => refused.has(m.key)).map((m) => m.source)))];
  const error = errorFor(matchers);
  for (const sub of told) sub.refused = true;
  for (const sub of told) sub.listeners.emit('error', error);
  return { error, matchers };
}

/**
 * Lifts the refusal of the subscriptions a stream carrying `keys` carries after all (every refused
 * one without `keys`: `reconnect()`, new headers), so switches ask for their matchers again.
 * @returns whether any was refused.
 */
export function readmit(subs: Iterable<Subscription>, keys?: ReadonlySet<string>): boolean {
  let any = false;
  for (const sub of subs) {
    if (!sub.refused || (keys !== undefined && !carries(keys, sub))) continue;
    sub.refused = false;
    any = true;
  }
  return any;
}
