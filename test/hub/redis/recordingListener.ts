import type { HistoryEntry, HubUpdate, SubscriptionDocument, TransportListener } from '../../../src/hub/index.js';

/** A public update to `urn:a` whose data is its id, as the transport tests append it. */
export const update = (id: string): HubUpdate => ({ id, topics: ['urn:a'], data: id, type: undefined, retry: undefined, private: false, publishedAt: 1 });

/** A transport listener that records what it hears; `until` resolves once a condition holds (bounded). */
export function recordingListener(): TransportListener & {
  readonly updates: HistoryEntry[];
  readonly subscriptions: SubscriptionDocument[];
  readonly losses: string[];
  until(predicate: () => boolean, timeout?: number): Promise<void>;
} {
  const updates: HistoryEntry[] = [];
  const subscriptions: SubscriptionDocument[] = [];
  const losses: string[] = [];
  const waiters = new Set<() => void>();
  const record =
    <T>(list: T[]) =>
    (item: T): void => {
      list.push(item);
      for (const waiter of [...waiters]) waiter();
    };
  return {
    updates,
    subscriptions,
    losses,
    update: record(updates),
    subscription: record(subscriptions),
    lost: record(losses),
    until: (predicate, timeout = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; heard ${JSON.stringify({ updates: updates.map((e) => e.update.id), subscriptions, losses })}`));
        }, timeout);
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}
