import type { CompiledMatcher } from './matcher.js';
import type { ProtocolAdapter } from './protocols/types.js';
import type { Subscription } from './router.js';

/**
 * How often a stream slot may open a stream for a matcher change. Every stream opened costs the hub
 * a subscription (and, resuming with `Last-Event-ID`, a history scan), so under churn the budget
 * widens: each switch that follows the previous one within {@link CHURN_MS} doubles the minimum
 * spacing between switches (from {@link FIRST_STEP_MS} up to {@link MAX_SPACING_MS}); after
 * {@link CALM_MS} without a switch it is back to zero, so a lone change switches at once.
 *
 * At 20 subscription changes per second this settles at one stream per 2 s; a change after a calm
 * period waits for nothing.
 */
export class SwitchBudget {
  readonly #now: () => number;
  #spacing = 0;
  #last = Number.NEGATIVE_INFINITY;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** How long to wait before the next switch may open a stream, in ms (0: now). */
  wait(): number {
    return Math.max(0, this.#last + this.#spacing - this.#now());
  }

  /** A switch opened a stream now. */
  spend(): void {
    const now = this.#now();
    const since = now - this.#last;
    if (since >= CALM_MS) this.#spacing = 0;
    else if (since < CHURN_MS) this.#spacing = Math.min(MAX_SPACING_MS, this.#spacing === 0 ? FIRST_STEP_MS : this.#spacing * 2);
    this.#last = now;
  }
}

/** Two switches closer than this are churn. */
export const CHURN_MS = 1000;
/** The spacing the first sign of churn imposes. */
export const FIRST_STEP_MS = 100;
/** The widest spacing between two switches. */
export const MAX_SPACING_MS = 2000;
/** A quiet period after which the budget is back to zero. */
export const CALM_MS = 5000;

/** What a stream must carry. */
export interface Wanted {
  readonly matchers: readonly CompiledMatcher[];
  /** Matcher keys (and `type:` keys for the native EventSource). */
  readonly keys: ReadonlySet<string>;
  /** The keys, sorted and joined: the identity of the set. */
  readonly key: string;
}

/**
 * What a stream must carry for `subs`: their matchers and, for the native EventSource (which only
 * delivers the event types it listens for, `withTypes`), their event types. Subscriptions whose
 * matchers the hub refused are left out.
 */
export function wantedBy(subs: Iterable<Subscription>, withTypes: boolean): Wanted {
  const byKey = new Map<string, CompiledMatcher>();
  const keys = new Set<string>();
  for (const sub of subs) {
    if (sub.refused) continue;
    for (const m of sub.compiled) byKey.set(m.key, m);
    if (withTypes && sub.type !== undefined) keys.add(`type:${sub.type}`);
  }
  for (const key of byKey.keys()) keys.add(key);
  return { matchers: [...byKey.values()], keys, key: [...keys].sort().join('\n') };
}

/** Whether a stream carrying `carried` already carries everything `wanted` (a removal needs no switch). */
export function covers(carried: ReadonlySet<string>, wanted: ReadonlySet<string>): boolean {
  for (const key of wanted) if (!carried.has(key)) return false;
  return true;
}

/**
 * What a slot's stream must carry: its subscriptions' matchers plus `extra` (what other tabs need),
 * keyed by the request the adapter builds for it (a server whose request does not depend on the
 * matchers keeps one key whatever they are). `eventSource`: the native EventSource, which must
 * also be told the event types.
 */
export function wantedOnStream(subs: Iterable<Subscription>, extra: readonly CompiledMatcher[], adapter: ProtocolAdapter, eventSource: boolean): Wanted {
  const wanted = withExtra(wantedBy(subs, eventSource), extra);
  if (!adapter.streamKey && !(eventSource && adapter.eventTypes)) return wanted;
  let key = adapter.streamKey ? adapter.streamKey(wanted.matchers) : wanted.key;
  if (eventSource) key = `${key}\ntypes:${[...(adapter.eventTypes?.(wanted.matchers) ?? []), ...[...wanted.keys].filter((k) => k.startsWith('type:'))].sort().join(',')}`;
  return { ...wanted, key };
}

/** `wanted` plus the matchers other tabs need on the stream. */
function withExtra(wanted: Wanted, extra: readonly CompiledMatcher[]): Wanted {
  if (extra.length === 0) return wanted;
  const byKey = new Map(wanted.matchers.map((m) => [m.key, m]));
  const keys = new Set(wanted.keys);
  for (const m of extra) {
    byKey.set(m.key, m);
    keys.add(m.key);
  }
  return { matchers: [...byKey.values()], keys, key: [...keys].sort().join('\n') };
}
