import { HistoryRing } from '../HistoryRing.js';
import type { HubUpdate, SubscriptionDocument } from '../types.js';
import { isSameContent } from './types.js';
import type { AppendResult, HistoryEntry, HubTransport, TransportListener } from './types.js';

/**
 * The embedded transport: one process, history in a bounded {@link HistoryRing}, everything
 * answered synchronously. The default of the engine, `MockHub` and a single Node hub.
 */
export class MemoryTransport implements HubTransport {
  readonly name = 'memory';
  readonly synchronous = true;
  readonly #ring: HistoryRing;
  readonly #presence = new Map<string, SubscriptionDocument>();
  #listener: TransportListener | undefined;
  /** Added to ring sequence numbers, so positions keep increasing across {@link MemoryTransport.clear}. */
  #base = 0;

  /** @param history - how many updates to keep for resumption; 0 keeps none. */
  constructor(history = 1000) {
    this.#ring = new HistoryRing(history);
  }

  /** Retained updates, oldest first. */
  toArray(): HubUpdate[] {
    return this.#ring.toArray();
  }

  attach(listener: TransportListener): void {
    if (this.#listener !== undefined) throw new Error('This transport already serves a hub engine.');
    this.#listener = listener;
  }

  append(update: HubUpdate, freshId: string, spellings: readonly string[] = []): AppendResult {
    let stored = update;
    const known = this.#ring.get(update.id);
    if (known !== undefined && isSameContent(known, update)) return { id: known.id, appended: false };
    if (known !== undefined || spellings.some((id) => this.#ring.get(id) !== undefined)) stored = { ...update, id: freshId };
    const seq = this.#ring.firstSeq + this.#ring.size;
    this.#ring.push(stored);
    this.#listener?.update({ position: String(this.#base + seq), update: stored });
    return { id: stored.id, appended: true };
  }

  locate(id: string): string | undefined {
    let seq = this.#ring.seqOf(id);
    if (seq === undefined && this.#ring.lastForgotten?.id === id) seq = this.#ring.firstSeq - 1;
    return seq === undefined ? undefined : String(this.#base + seq);
  }

  readAfter(position: string | null, limit: number): HistoryEntry[] {
    const after = position === null ? -1 : Math.max(-1, Number(position) - this.#base);
    let seq = Math.max(after + 1, this.#ring.firstSeq);
    const entries: HistoryEntry[] = [];
    for (const update of this.#ring.after(after)) {
      if (entries.length >= limit) break;
      entries.push({ position: String(this.#base + seq++), update });
    }
    return entries;
  }

  readBefore(position: string, limit: number): HistoryEntry[] {
    // A position beyond the log reads from its end.
    let seq = Math.min(Number(position) - this.#base, this.#ring.firstSeq + this.#ring.size - 1);
    const entries = [...this.#ring.backwardFrom(seq, limit)].map((update) => ({ position: String(this.#base + seq--), update }));
    const forgotten = this.#ring.lastForgotten;
    if (forgotten !== undefined && entries.length < limit && seq === this.#ring.firstSeq - 1) entries.push({ position: String(this.#base + seq), update: forgotten });
    return entries;
  }

  keepsAfter(position: string): boolean {
    return Number(position) - this.#base >= this.#ring.firstSeq - 1;
  }

  lastId(): string | undefined {
    return this.#ring.lastId;
  }

  announce(document: SubscriptionDocument): void {
    if (document.active) this.#presence.set(document.id, document);
    else this.#presence.delete(document.id);
    this.#listener?.subscription(document);
  }

  subscriptions(): SubscriptionDocument[] {
    return [...this.#presence.values()];
  }

  clear(): void {
    this.#base += this.#ring.firstSeq + this.#ring.size;
    this.#ring.clear();
  }

  close(): void {
    this.#presence.clear();
  }
}
