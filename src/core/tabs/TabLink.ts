import { Emitter } from '../emitter.js';
import { SseGapError, type SseError } from '../errors.js';
import { compileMatcher, matcherKey, type CompiledMatcher } from '../matcher.js';
import type { RawEvent, TopicMatcher } from '../types.js';
import type { LeaderState, TabGroup, TabGroupEvents, TabGroupPlatform } from './TabGroup.js';
import { fromShared } from './sharedError.js';
import type { SharedError, SharedState, TabsInfo } from './types.js';

/** What a {@link TabLink} needs from its driver. */
export interface TabLinkHost {
  readonly hubUrl: string;
  /** The parts naming the group besides the hub URL: wire options and the credentials in use. */
  identity(): Promise<readonly string[]>;
  /** The role or the other tabs' matchers changed: re-sync the shared stream. */
  changed(): void;
  /** An event of the leader's stream (as follower, or as new leader until its own stream opened). */
  event(event: RawEvent): void;
  /** (follower) The leader's stream changed; `error`: its error, rebuilt. */
  state(state: SharedState, error: SseError | undefined): void;
  /** A gap the leader's stream reported (as follower, or as new leader until its own stream opened). */
  gap(error: SseGapError): void;
}

let groupModule: Promise<typeof import('./TabGroup.js')> | undefined;

/**
 * The election code, a chunk of its own loaded with the first join (once per page): an app that
 * never shares does not download it, and the election is asynchronous anyway. Tests that drive an
 * election with fake timers await it first, so that a join waits on no module loading.
 */
export function loadTabGroup(): Promise<typeof import('./TabGroup.js')> {
  groupModule ??= import('./TabGroup.js').catch((cause: unknown) => {
    groupModule = undefined; // the next join tries again
    throw cause;
  });
  return groupModule;
}

/** The identity parts of a group as one string. */
function identityKey(parts: readonly string[]): string {
  return parts.join('\u0000');
}

/** The matcher a compiled matcher was made from. */
function toMatcher(m: CompiledMatcher): TopicMatcher {
  return m.kind === 'pattern' ? { pattern: m.source } : m.source;
}

/**
 * The driver's side of cross-tab sharing: joins the {@link TabGroup} named after the hub and the
 * credentials, tells the shared stream slot whether to open its own stream (`own`: alone or leader),
 * read the leader's (`follow`) or wait for the election (`wait`), and which matchers the other
 * tabs need on it.
 */
export class TabLink {
  readonly #platform: TabGroupPlatform;
  readonly #tabId: string;
  readonly #host: TabLinkHost;
  #group: TabGroup | undefined;
  /** Bumped at every (re)join: an identity computed for an older join is dropped. */
  #joins = 0;
  /** Bumped at every {@link TabLink.rejoin}: only the latest one acts. */
  #rejoins = 0;
  /** The identity (hub, wire options, credentials) of the group joined, while in one. */
  #identity: string | undefined;
  #solo = false;
  #matchers: readonly TopicMatcher[] = [];
  #extra: readonly CompiledMatcher[] = [];
  #destroyed = false;
  /** The error last rebuilt from the channel, by its form: an unchanged error stays the same object (a stable snapshot, and the gap `onError` got is the state's). */
  #heard: { readonly json: string; readonly error: SseError | undefined } | undefined;

  constructor(platform: TabGroupPlatform, tabId: string, host: TabLinkHost) {
    this.#platform = platform;
    this.#tabId = tabId;
    this.#host = host;
    this.#join();
  }

  /** Whether the shared slot opens its own stream, follows the leader's, or waits for the election. */
  mode(): 'own' | 'follow' | 'wait' {
    if (this.#solo) return 'own';
    const role = this.#group?.role ?? 'pending';
    return role === 'leader' ? 'own' : role === 'follower' ? 'follow' : 'wait';
  }

  /** Matchers the other tabs need (the leader's stream carries them). */
  extra(): readonly CompiledMatcher[] {
    return this.mode() === 'own' && !this.#solo ? this.#extra : [];
  }

  /** A fresh event of this tab's shared stream: followers get it. */
  relay(event: RawEvent): void {
    this.#group?.relay(event);
  }

  /** The matchers this tab needs on the shared stream. */
  setMatchers(matchers: readonly CompiledMatcher[]): void {
    this.#matchers = matchers.map(toMatcher);
    this.#group?.setMatchers(this.#matchers);
  }

  /** A gap this tab's shared stream reported: followers hear it. */
  gap(error: SseGapError): void {
    this.#group?.relayGap(error);
  }

  /** (leader) The shared stream's state, for the followers. */
  publish(state: Omit<LeaderState, 'stream'> & { readonly epoch: number }): void {
    this.#group?.publishState({ status: state.status, retries: state.retries, error: state.error, keys: state.keys, refused: state.refused, stream: `${this.#tabId}:${state.epoch}` });
  }

  /** An error the leader's stream reported, rebuilt (the same object while its form does not change); `undefined` when its code is unknown here. */
  #typed(shared: SharedError): SseError | undefined {
    const json = JSON.stringify(shared);
    if (this.#heard?.json !== json) this.#heard = { json, error: fromShared(shared) };
    return this.#heard.error;
  }

  /** This tab's role and the number of tabs sharing. */
  info(): TabsInfo {
    return this.#solo || !this.#group ? { role: this.#solo ? 'leader' : 'pending', tabs: 1 } : this.#group.info();
  }

  /**
   * Credentials may have changed: leave the group and join the one of the new credentials — unless
   * they name the group this tab is in (a `headers` function made again at every render, say).
   */
  rejoin(): void {
    const rejoin = ++this.#rejoins;
    const joined = this.#identity;
    const move = () => {
      this.#leaveGroup();
      this.#join();
      this.#host.changed();
    };
    // Not in a group (alone, or still joining): nothing to keep.
    if (joined === undefined) {
      move();
      return;
    }
    this.#host
      .identity()
      .then(
        (parts) => identityKey(parts) === joined,
        () => false,
      )
      .then((same) => {
        if (rejoin === this.#rejoins && !this.#destroyed && !same) move();
      });
  }

  /**
   * The credentials could not be read (a `headers` function that throws): a leader whose credentials
   * no longer name its group leaves it for a stream of its own (see {@link TabLink.rejoin}), so a tab
   * whose credentials work leads. A follower needs none of its own to follow; alone, nothing changes.
   */
  verify(): void {
    if (this.#identity !== undefined && this.mode() === 'own') this.rejoin();
  }

  /** (follower) Takes the lead: this tab's stream replaces the leader's (stopped, say). */
  lead(): void {
    this.#group?.lead();
  }

  destroy(): void {
    this.#destroyed = true;
    this.#leaveGroup();
  }

  #join(): void {
    const join = ++this.#joins;
    this.#solo = false;
    Promise.all([this.#host.identity(), loadTabGroup()])
      .then(([parts, { TabGroup, groupName }]) => ({ group: new TabGroup(groupName([this.#host.hubUrl, ...parts]), this.#tabId, this.#platform, { events: new Emitter<TabGroupEvents>(), matcherKey }), identity: identityKey(parts) }))
      .then(
        ({ group, identity }) => {
          if (join !== this.#joins || this.#destroyed) return;
          this.#group = group;
          this.#identity = identity;
          group.on('role', () => this.#host.changed());
          group.on('peers', () => {
            this.#extra = group.remoteMatchers().flatMap((m) => {
              try {
                return [compileMatcher(m, this.#host.hubUrl)];
              } catch {
                return []; // a matcher this tab cannot compile (no URLPattern here): the tab that asked keeps it
              }
            });
            this.#host.changed();
          });
          group.on('event', (event) => this.#host.event(event));
          group.on('state', (state) => this.#host.state(state, state.error && this.#typed(state.error)));
          group.on('gap', (shared) => {
            const error = this.#typed(shared);
            if (error instanceof SseGapError) this.#host.gap(error);
          });
          group.setMatchers(this.#matchers);
          group.start();
        },
        () => {
          // The credentials cannot be read (a throwing `headers` function), or the election code did
          // not load: this tab keeps its own stream, whose connect reports a cause as usual.
          if (join !== this.#joins || this.#destroyed) return;
          this.#solo = true;
          this.#host.changed();
        },
      );
  }

  #leaveGroup(): void {
    this.#joins++;
    this.#group?.destroy();
    this.#group = undefined;
    this.#identity = undefined;
    this.#extra = [];
  }
}
