import type { Connection } from './Connection.js';
import { HubError } from './errors.js';
import { WorkMeter } from './linearMatcher.js';
import { isPatternSpec } from './topicMatcher.js';
import type { TopicMatcher } from './topicMatcher.js';
import type { DispatchReport, HubLimits, HubUpdate, MatcherSpec } from './types.js';

/** One distinct pattern or template matcher, evaluated once per dispatch for every connection holding it. */
interface PatternEntry {
  readonly matcher: TopicMatcher;
  readonly connections: Set<Connection>;
  /** Clients holding it, with how many of their connections do. */
  readonly owners: Map<string, number>;
}

const patternKey = (spec: MatcherSpec): string => `${spec.type}\u0000${spec.match}`;

/**
 * Finds the connections an update goes to, with bounded work.
 *
 * Exact matchers are indexed by topic and wildcard connections are listed, so neither costs an
 * evaluation. Pattern and template matchers are shared: each distinct one is evaluated once per
 * dispatch, whatever the number of connections holding it. The evaluations of one dispatch are
 * metered in work units (matching steps): at most `dispatchUnits` in total and
 * `dispatchUnitsPerClient` paid by any one client, so no subscriber can make a publish, or the
 * requests waiting behind it, slow; a pattern left without budget counts as not matching, as the
 * spec requires of evaluation limits, and the dispatch reports it. Admission keeps ordinary
 * loads far below these budgets: a client holds at most `patternsPerClient` distinct patterns,
 * the hub at most `patterns`.
 */
export class Dispatcher {
  readonly #exact = new Map<string, Set<Connection>>();
  readonly #wildcard = new Set<Connection>();
  readonly #patterns = new Map<string, PatternEntry>();
  /** Distinct patterns held per client. */
  readonly #heldBy = new Map<string, number>();
  readonly #limits: HubLimits;
  /** The meter of one evaluation, reused. */
  readonly #scratch = new WorkMeter(0);
  #pass = 0;

  /** @param limits - the pattern and dispatch budgets. */
  constructor(limits: HubLimits) {
    this.#limits = limits;
  }

  /** Distinct pattern matchers indexed. */
  get patternCount(): number {
    return this.#patterns.size;
  }

  /**
   * Checks that `client` may hold the patterns of `specs` as well as what it holds already
   * (cheap: nothing is compiled).
   * @throws HubError 429 (with `Retry-After`) beyond the per-client or the hub-wide pattern budget.
   */
  admit(client: string, specs: readonly MatcherSpec[], retryAfter: number): void {
    const fresh = new Set<string>();
    let unknown = 0;
    for (const spec of specs) {
      if (!isPatternSpec(spec)) continue;
      const key = patternKey(spec);
      const entry = this.#patterns.get(key);
      if (entry?.owners.has(client) === true || fresh.has(key)) continue;
      fresh.add(key);
      if (entry === undefined) unknown++;
    }
    if (fresh.size === 0) return;
    const headers = { 'retry-after': String(retryAfter) };
    const held = this.#heldBy.get(client) ?? 0;
    if (held + fresh.size > this.#limits.patternsPerClient) {
      throw new HubError(429, 'over_budget', `Too many distinct URL patterns and templates for this client (at most ${this.#limits.patternsPerClient}; ${held} held).`, headers);
    }
    if (this.#patterns.size + unknown > this.#limits.patterns) {
      throw new HubError(429, 'over_budget', `The hub holds as many distinct URL patterns and templates as it can match (${this.#limits.patterns}); try again later.`, headers);
    }
  }

  /** Indexes a connection. */
  add(connection: Connection): void {
    const client = connection.info.client;
    for (const matcher of connection.matchers) {
      if (matcher.wildcard) {
        this.#wildcard.add(connection);
      } else if (matcher.exact !== null) {
        let set = this.#exact.get(matcher.exact);
        if (set === undefined) this.#exact.set(matcher.exact, (set = new Set()));
        set.add(connection);
      } else {
        const key = patternKey(matcher.spec);
        let entry = this.#patterns.get(key);
        if (entry === undefined) this.#patterns.set(key, (entry = { matcher, connections: new Set(), owners: new Map() }));
        if (entry.connections.has(connection)) continue;
        entry.connections.add(connection);
        const holders = entry.owners.get(client) ?? 0;
        entry.owners.set(client, holders + 1);
        if (holders === 0) this.#heldBy.set(client, (this.#heldBy.get(client) ?? 0) + 1);
      }
    }
  }

  /** Removes a connection from the index. */
  remove(connection: Connection): void {
    const client = connection.info.client;
    this.#wildcard.delete(connection);
    for (const matcher of connection.matchers) {
      if (matcher.exact !== null) {
        const set = this.#exact.get(matcher.exact);
        if (set === undefined) continue;
        set.delete(connection);
        if (set.size === 0) this.#exact.delete(matcher.exact);
        continue;
      }
      if (matcher.wildcard) continue;
      const key = patternKey(matcher.spec);
      const entry = this.#patterns.get(key);
      if (entry === undefined || !entry.connections.delete(connection)) continue;
      const holders = (entry.owners.get(client) ?? 1) - 1;
      if (holders > 0) {
        entry.owners.set(client, holders);
      } else {
        entry.owners.delete(client);
        const held = (this.#heldBy.get(client) ?? 1) - 1;
        if (held > 0) this.#heldBy.set(client, held);
        else this.#heldBy.delete(client);
      }
      if (entry.connections.size === 0) this.#patterns.delete(key);
    }
  }

  /**
   * Calls `visit` once for every connection that receives `update`.
   * @param shared - a meter to charge instead of a fresh `dispatchUnits` one (several dispatches
   * that must share one budget, e.g. the subscription events of one connection).
   */
  forEachRecipient(update: HubUpdate, visit: (connection: Connection) => void, shared?: WorkMeter): DispatchReport {
    const pass = ++this.#pass;
    const topics = update.topics;
    let recipients = 0;
    const accept = (connection: Connection): void => {
      if (connection.stamp === pass) return;
      connection.stamp = pass;
      if (update.private && !connection.grants.canRead(topics)) return;
      recipients++;
      visit(connection);
    };
    for (const topic of topics) {
      const set = this.#exact.get(topic);
      if (set !== undefined) for (const connection of set) accept(connection);
    }
    for (const connection of this.#wildcard) accept(connection);

    const total = shared ?? new WorkMeter(this.#limits.dispatchUnits);
    const spentBefore = total.spent;
    const perClient = new Map<string, WorkMeter>();
    let evaluations = 0;
    let skipped = 0;
    for (const entry of this.#patterns.values()) {
      let pending = false;
      for (const connection of entry.connections) {
        if (connection.stamp !== pass) {
          pending = true;
          break;
        }
      }
      if (!pending) continue;
      // The first holder with budget left pays for the evaluation.
      let payer: WorkMeter | undefined;
      for (const client of entry.owners.keys()) {
        let meter = perClient.get(client);
        if (meter === undefined) perClient.set(client, (meter = new WorkMeter(this.#limits.dispatchUnitsPerClient)));
        if (meter.remaining > 0) {
          payer = meter;
          break;
        }
      }
      if (payer === undefined || total.remaining <= 0) {
        skipped++;
        continue;
      }
      const meter = this.#scratch;
      meter.reset(Math.min(payer.remaining, total.remaining));
      let matched = false;
      for (const topic of topics) {
        if (entry.matcher.test(topic, meter)) {
          matched = true;
          break;
        }
        if (meter.exhausted) break;
      }
      evaluations++;
      payer.charge(meter.spent);
      total.charge(meter.spent);
      if (meter.exhausted) {
        skipped++;
        continue;
      }
      if (matched) for (const connection of entry.connections) accept(connection);
    }
    return { id: update.id, recipients, evaluations, units: total.spent - spentBefore, skipped };
  }
}
