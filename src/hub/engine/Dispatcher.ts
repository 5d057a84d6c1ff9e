import type { Connection } from './Connection.js';
import type { HubUpdate } from './types.js';

/**
 * Finds the connections an update goes to. Exact matchers are indexed by topic; only
 * connections with pattern, template or wildcard matchers are scanned. Each connection is
 * visited at most once per update, and private updates reach only connections whose grants
 * allow reading one of the update's topics.
 */
export class Dispatcher {
  readonly #exact = new Map<string, Set<Connection>>();
  readonly #scanned = new Set<Connection>();
  #pass = 0;

  /** Indexes a connection. */
  add(connection: Connection): void {
    for (const matcher of connection.matchers) {
      if (matcher.exact === null) continue;
      let set = this.#exact.get(matcher.exact);
      if (set === undefined) this.#exact.set(matcher.exact, (set = new Set()));
      set.add(connection);
    }
    if (connection.patternMatchers.length > 0) this.#scanned.add(connection);
  }

  /** Removes a connection from the index. */
  remove(connection: Connection): void {
    for (const matcher of connection.matchers) {
      if (matcher.exact === null) continue;
      const set = this.#exact.get(matcher.exact);
      if (set === undefined) continue;
      set.delete(connection);
      if (set.size === 0) this.#exact.delete(matcher.exact);
    }
    this.#scanned.delete(connection);
  }

  /** Calls `visit` for every connection that may receive `update`. */
  forEachRecipient(update: HubUpdate, visit: (connection: Connection) => void): void {
    const pass = ++this.#pass;
    const topics = update.topics;
    const accept = (connection: Connection): void => {
      if (connection.stamp === pass) return;
      connection.stamp = pass;
      if (update.private && !connection.grants.canRead(topics)) return;
      visit(connection);
    };
    for (const topic of topics) {
      const set = this.#exact.get(topic);
      if (set !== undefined) for (const connection of set) accept(connection);
    }
    for (const connection of this.#scanned) {
      if (connection.stamp !== pass && connection.matchesPattern(topics)) accept(connection);
    }
  }
}
