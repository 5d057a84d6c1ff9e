import type { Emitter } from '../emitter.js';
import type { SseError } from '../errors.js';
import type { RawEvent, TopicMatcher } from '../types.js';
import { LeaderElection } from './election.js';
import { readTabMessage, toShared } from './messages.js';
import type { SharedError, SharedState, TabChannel, TabLocks, TabMessage, TabRole, TabsInfo } from './types.js';

/** The platform pieces a {@link TabGroup} runs on, resolved (see `resolveTabs`). */
export interface TabGroupPlatform {
  readonly locks: TabLocks;
  readonly channel: (name: string) => TabChannel;
  readonly visible: () => boolean;
  readonly events: EventTarget | undefined;
}

/** Events of a {@link TabGroup}. */
export interface TabGroupEvents {
  /** This tab's role changed. */
  readonly role: TabRole;
  /** An event the leader's stream delivered (relayed to followers, and to a new leader: the old one's last events may reach it after the lead). */
  readonly event: RawEvent;
  /** (follower) The leader's stream changed. */
  readonly state: SharedState;
  /** A gap the leader's stream reported (relayed like its events). */
  readonly gap: SharedError;
  /** The set of tabs or the matchers they need changed. */
  readonly peers: undefined;
}

/**
 * What a {@link TabGroup} is given by the driver instead of importing it. This module is the root of
 * a chunk loaded by `import()`: were it to import a module of the driver, a bundler would move the
 * modules both use out of the driver's initial file into shared ones, which costs every app that
 * shares tabs more than it saves the others.
 */
export interface TabGroupTools {
  /** The group's events: a new emitter. */
  readonly events: Emitter<TabGroupEvents>;
  /** A matcher's identity (`matcherKey` of the matcher module), to compare matcher sets by value. */
  readonly matcherKey: (matcher: TopicMatcher) => string;
}

/** The leader's shared stream as it describes it; the group adds whether its page is hidden, and puts its error in the channel's form. */
export type LeaderState = Omit<SharedState, 'hidden' | 'error'> & { readonly error: SseError | undefined };

/**
 * The tabs of one origin sharing one hub stream: leader election (a Web Lock), the relay of the
 * leader's events to followers (a `BroadcastChannel`), the registry of what every tab subscribes to
 * (so any tab can take over with the union at once), and the page lifecycle (a hidden leader yields
 * to a visible tab; `pagehide`/`freeze` release the lead, `pageshow`/`resume` rejoin).
 *
 * Each tab holds a lock of its own while it lives; the others queue for it, so a tab that closes or
 * crashes without a goodbye is forgotten as soon as the browser releases its locks.
 */
export class TabGroup {
  /** This tab's id in the group. */
  readonly tabId: string;
  readonly #name: string;
  readonly #platform: TabGroupPlatform;
  readonly #election: LeaderElection;
  readonly #events: Emitter<TabGroupEvents>;
  readonly #matcherKey: (matcher: TopicMatcher) => string;
  /** Matchers of the other tabs, by tab id. */
  readonly #peers = new Map<string, readonly TopicMatcher[]>();
  /** Pending requests for the other tabs' own locks: granted when that tab is gone. */
  readonly #watches = new Map<string, AbortController>();
  #channel: TabChannel | undefined;
  /** Releases this tab's own lock; set once it is held and the tab announced (the others learn it only then). */
  #ownLock: (() => void) | undefined;
  #matchers: readonly TopicMatcher[] = [];
  #role: TabRole = 'pending';
  #shared: SharedState | undefined;
  #published: LeaderState | undefined;
  #joined = false;
  #destroyed = false;

  /**
   * @param name - identity of the group (hub, credentials, key): tabs with the same name share.
   * @param tabId - this tab's id (unique per tab).
   */
  constructor(name: string, tabId: string, platform: TabGroupPlatform, tools: TabGroupTools) {
    this.#name = `sse-kit:${name}`;
    this.tabId = tabId;
    this.#platform = platform;
    this.#events = tools.events;
    this.#matcherKey = tools.matcherKey;
    this.#election = new LeaderElection(platform.locks, this.#name, (leader) => this.#setRole(leader ? 'leader' : 'follower'));
  }

  /** This tab's role. */
  get role(): TabRole {
    return this.#role;
  }

  /** The role and the number of tabs sharing. */
  info(): TabsInfo {
    return { role: this.#role, tabs: this.#peers.size + 1 };
  }

  /** Listens to one event type of the group; returns the unsubscribe function. */
  on<K extends keyof TabGroupEvents>(type: K, listener: (payload: TabGroupEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /** The matchers the other tabs need (the leader's stream carries them beside its own). */
  remoteMatchers(): TopicMatcher[] {
    const byKey = new Map<string, TopicMatcher>();
    for (const list of this.#peers.values()) for (const m of list) byKey.set(this.#matcherKey(m), m);
    return [...byKey.values()];
  }

  /** Joins the group: runs for the lead; announces this tab and asks the others for their matchers once it holds its own lock. */
  start(): void {
    if (this.#destroyed || this.#joined) return;
    this.#joined = true;
    const channel = this.#platform.channel(this.#name);
    this.#channel = channel;
    channel.addEventListener('message', (event) => {
      if (channel === this.#channel) this.#receive(event.data);
    });
    this.#holdOwnLock(channel);
    this.#election.start();
    this.#listenLifecycle(true);
  }

  /** Announces the matchers this tab needs (sent only when they changed). */
  setMatchers(matchers: readonly TopicMatcher[]): void {
    const key = (list: readonly TopicMatcher[]) => list.map(this.#matcherKey).sort().join('\n');
    if (key(matchers) === key(this.#matchers)) return;
    this.#matchers = [...matchers];
    if (this.#ownLock) this.#post({ t: 'matchers', from: this.tabId, matchers: this.#matchers });
  }

  /** (leader) Relays an event of the shared stream to the followers (none: nothing to post). */
  relay(event: RawEvent): void {
    if (this.#role === 'leader' && this.#peers.size > 0) this.#post({ t: 'event', from: this.tabId, event: { id: event.id, type: event.type, data: event.data } });
  }

  /** (leader) Relays a gap the shared stream reported to the followers. */
  relayGap(error: SseError): void {
    if (this.#role === 'leader' && this.#peers.size > 0) this.#post({ t: 'gap', from: this.tabId, error: toShared(error) });
  }

  /** (leader) Announces the shared stream's state when it changed. */
  publishState(state: LeaderState): void {
    const last = this.#published;
    this.#published = state;
    if (this.#role !== 'leader') return;
    if (last && last.status === state.status && last.retries === state.retries && last.stream === state.stream && last.error === state.error && sameKeys(last.keys, state.keys) && sameKeys(last.refused, state.refused)) return;
    this.#postState();
  }

  /** (follower) Takes the lead from the leader, which follows then. */
  lead(): void {
    this.#election.steal();
  }

  /** Leaves the group for good (goodbye, lock released, channel closed). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#leave();
    this.#listenLifecycle(false);
    this.#events.clear();
  }

  // ---------------------------------------------------------------- internals

  #setRole(role: TabRole): void {
    if (role === 'follower' && this.#shared?.hidden && this.#platform.visible()) this.#election.steal();
    if (this.#role === role) return;
    this.#role = role;
    if (role === 'leader') this.#shared = undefined;
    // The stream this tab described as leader closes now: leading again, it tells its new one.
    else this.#published = undefined;
    this.#events.emit('role', role);
    // The leader may have described its stream before this tab knew it follows.
    if (role === 'follower' && this.#shared) this.#events.emit('state', this.#shared);
  }

  #receive(data: unknown): void {
    const message = readTabMessage(data);
    if (!message || message.from === this.tabId) return;
    const from = message.from;
    switch (message.t) {
      case 'hello':
        this.#learn(from, []);
        // Not yet announced: this tab's own hello, coming, tells its matchers (and state).
        if (!this.#ownLock) return;
        this.#post({ t: 'matchers', from: this.tabId, matchers: this.#matchers });
        if (this.#role === 'leader') this.#postState();
        return;
      case 'matchers':
        this.#learn(from, message.matchers);
        return;
      case 'bye':
        this.#forget(from);
        return;
      case 'event':
        if (this.#role !== 'pending') this.#events.emit('event', message.event);
        return;
      case 'gap':
        if (this.#role !== 'pending') this.#events.emit('gap', message.error);
        return;
      case 'state':
        this.#learn(from, this.#peers.get(from) ?? []);
        if (this.#role === 'leader') return;
        this.#shared = message.state;
        if (this.#role !== 'follower') return;
        this.#events.emit('state', message.state);
        if (message.state.hidden && this.#platform.visible()) this.#election.steal();
        return;
    }
  }

  #learn(tab: string, matchers: readonly TopicMatcher[]): void {
    const known = this.#peers.get(tab);
    this.#peers.set(tab, matchers);
    if (!known) this.#watch(tab);
    if (!known || known !== matchers) this.#events.emit('peers', undefined);
  }

  #forget(tab: string): void {
    this.#watches.get(tab)?.abort();
    this.#watches.delete(tab);
    if (this.#peers.delete(tab)) this.#events.emit('peers', undefined);
  }

  /** Queues for the other tab's own lock: it is granted once that tab is gone, however it went. */
  #watch(tab: string): void {
    const abort = new AbortController();
    this.#watches.set(tab, abort);
    this.#platform.locks
      .request(`${this.#name}:tab:${tab}`, { signal: abort.signal }, () => {
        if (this.#watches.get(tab) === abort) this.#forget(tab);
        return undefined;
      })
      .catch(() => undefined);
  }

  /**
   * Takes this tab's own lock, then announces the tab. Only then: the others take this tab for gone
   * when its lock is granted to them, and the lock manager is another service than the channel, so a
   * hello sent before this tab's request reached it could have them granted the lock at once.
   */
  #holdOwnLock(channel: TabChannel): void {
    this.#platform.locks
      .request(`${this.#name}:tab:${this.tabId}`, {}, () => {
        if (channel !== this.#channel) return undefined; // left before it was granted: released at once
        const held = new Promise<void>((resolve) => (this.#ownLock = resolve));
        this.#post({ t: 'hello', from: this.tabId });
        if (this.#matchers.length > 0) this.#post({ t: 'matchers', from: this.tabId, matchers: this.#matchers });
        if (this.#role === 'leader') this.#postState();
        return held;
      })
      .catch(() => undefined);
  }

  #post(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A closed channel (the page is going away): nothing to tell.
    }
  }

  /** (leader) Tells the shared stream's state, once this tab is announced (a state makes the others learn it). */
  #postState(): void {
    const state = this.#published;
    if (state && this.#ownLock) this.#post({ t: 'state', from: this.tabId, state: { ...state, error: state.error && toShared(state.error), hidden: !this.#platform.visible() } });
  }

  /** Goodbye, lead released, others forgotten: the state of a tab that is not in the group. */
  #leave(): void {
    if (!this.#joined) return;
    this.#joined = false;
    this.#post({ t: 'bye', from: this.tabId });
    this.#election.stop();
    this.#ownLock?.();
    this.#ownLock = undefined;
    for (const abort of this.#watches.values()) abort.abort();
    this.#watches.clear();
    this.#peers.clear();
    this.#channel?.close();
    this.#channel = undefined;
    this.#shared = undefined;
    this.#setRole('pending');
  }

  readonly #onHide = () => this.#leave();
  readonly #onShow = (event: Event) => {
    if (event.type === 'resume' || (event as PageTransitionEvent).persisted) this.start();
  };
  readonly #onVisibility = () => {
    if (this.#role === 'leader') this.#postState();
    else if (this.#role === 'follower' && this.#shared?.hidden && this.#platform.visible()) this.#election.steal();
  };

  #listenLifecycle(on: boolean): void {
    const target = this.#platform.events;
    if (!target) return;
    const method = on ? 'addEventListener' : 'removeEventListener';
    target[method]('pagehide', this.#onHide);
    target[method]('freeze', this.#onHide);
    target[method]('pageshow', this.#onShow);
    target[method]('resume', this.#onShow);
    target[method]('visibilitychange', this.#onVisibility);
  }
}

/**
 * A name for a group: tabs share a stream only when every part (hub URL, wire options, credentials,
 * the user's key) is equal. A 64-bit FNV-1a digest, so no credential appears in lock or channel names
 * (those are only visible to scripts of the same origin, which can read the credentials anyway).
 */
export function groupName(parts: readonly string[]): string {
  const text = parts.join('\u0000');
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x000001b3) >>> 0;
  }
  return `${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** Whether two key lists are equal (a missing list is an empty one). */
function sameKeys(a: readonly string[] = [], b: readonly string[] = []): boolean {
  return a === b || a.join('\n') === b.join('\n');
}
