import { decodeEnvelope } from './envelope.js';
import { SseError, SseProtocolError } from './errors.js';
import type { ForeignEvent, ProtocolAdapter } from './protocols/types.js';
import { RecentIds } from './recentIds.js';
import type { Carrier, Router } from './router.js';
import type { DriverEvent, RawEvent } from './types.js';

/** Where a routed event came from: a stream of the slot, or the leader tab's stream. */
export type Source = Carrier & { readonly name: string; readonly seen?: Map<string, string> };

/** What an intake needs from its slot. */
export interface IntakeContext {
  readonly adapter: ProtocolAdapter;
  /** The slot carries raw subscriptions only: no envelope to decode. */
  readonly rawOnly: boolean;
  readonly router: Router;
  /** Whether anyone listens to the timeline (update events are built only then). */
  watched(): boolean;
  timeline(event: DriverEvent): void;
  reportError(error: SseError): void;
  /** An event with a dedup key was read (`fresh`: first time): where the slot tracks a drain. */
  keyed(source: Source, key: string, fresh: boolean): void;
}

/** How many delivery keys a slot remembers. */
const DEDUP_WINDOW = 4096;

/**
 * What the streams of one slot deliver, on its way to the subscriptions: read by the protocol
 * adapter, decoded (the sse-kit envelope), de-duplicated against the slot's memory — kept across
 * the streams that replace each other — and routed.
 */
export class SlotIntake {
  /** The de-duplication memory of the slot. */
  readonly seen = new RecentIds(DEDUP_WINDOW);
  /** Dedup key of the last update delivered. */
  lastKey: string | undefined;
  /** SSE id of the last fresh event, whichever stream brought it: where a new first stream resumes. */
  cursor: string | undefined;
  readonly #ctx: IntakeContext;
  /** An event of the wrong shape was reported. */
  #shapeReported = false;

  constructor(ctx: IntakeContext) {
    this.#ctx = ctx;
  }

  /** Routes one event; returns whether it was fresh (not a duplicate, nor skipped). */
  route(source: Source, wire: RawEvent): boolean {
    const ctx = this.#ctx;
    // The envelope is looked for first (a dedicated raw slot takes the wire data as is: none): the
    // adapter is told, and need not tell an envelope apart from the server's own events by its text.
    const wireEnvelope = ctx.rawOnly ? undefined : decodeEnvelope(wire.data);
    let foreign: ForeignEvent;
    try {
      foreign = ctx.adapter.readEvent(wire, source.seen, ctx.rawOnly ? undefined : wireEnvelope !== undefined);
    } catch (error) {
      this.#wrongShape(error);
      return false;
    }
    if (foreign.kind === 'skip') return false;
    // The adapter may unwrap the event (a channel server's payload, type); routing sees what subscribers see.
    const event = foreign.event ?? wire;
    const envelope = ctx.rawOnly || foreign.kind === 'subscription' ? undefined : (foreign.envelope ?? (event === wire ? wireEnvelope : decodeEnvelope(event.data)));
    // sse-kit messages are keyed by their message id (stable across a publisher's retries), others by their id.
    const dedupKey = envelope ? envelope.id : foreign.id !== '' ? foreign.id : undefined;
    if (dedupKey !== undefined) {
      const fresh = this.seen.add(dedupKey, envelope !== undefined);
      ctx.keyed(source, dedupKey, fresh);
      if (!fresh && !foreign.again) return false;
      this.lastKey = dedupKey;
    }
    if (wire.id !== '') this.cursor = wire.id;
    if (ctx.watched()) ctx.timeline({ type: 'update', connection: source.name, id: event.id || (envelope?.id ?? ''), eventType: event.type });
    if (envelope) ctx.router.deliverEnvelope(event, envelope, source);
    else ctx.router.deliverForeign(event, foreign, source);
    return true;
  }

  /** An event the adapter cannot read: reported (once per slot, the stream goes on), not delivered. */
  #wrongShape(error: unknown): void {
    if (this.#shapeReported) return;
    this.#shapeReported = true;
    const name = this.#ctx.adapter.name;
    this.#ctx.reportError(error instanceof SseError ? error : new SseProtocolError(`The ${name} adapter could not read an event.`, { cause: error }));
  }
}
