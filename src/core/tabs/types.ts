import type { ConnectionStatus, RawEvent, TopicMatcher } from '../types.js';

/** The subset of the Web Locks `LockManager` the tab election uses (injectable for tests). */
export interface TabLocks {
  request(
    name: string,
    options: { readonly ifAvailable?: boolean; readonly steal?: boolean; readonly signal?: AbortSignal },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
}

/** The subset of `BroadcastChannel` the relay uses (injectable for tests). */
export interface TabChannel {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  close(): void;
}

/** The role of a tab in its group: it holds the shared stream (`leader`), reads it (`follower`), or has none yet (`pending`). */
export type TabRole = 'pending' | 'leader' | 'follower';

/** Options of cross-tab sharing (the driver's `tabs` option). */
export interface TabsOptions {
  /** Web Locks manager (default `navigator.locks`). */
  readonly locks?: TabLocks | undefined;
  /** Opens the channel of a group (default: `new BroadcastChannel(name)`). */
  readonly channel?: ((name: string) => TabChannel) | undefined;
  /**
   * Extra identity of the group: tabs share a stream only when hub URL, credentials and this key are
   * equal. Give it when credentials come from something the driver cannot see (cookies of another user).
   */
  readonly key?: string | undefined;
  /** Whether the page is visible (default: `document.visibilityState`); visible tabs are preferred as leader. */
  readonly visible?: (() => boolean) | undefined;
  /** Where `visibilitychange`, `pagehide`/`pageshow` and `freeze`/`resume` are listened for (default: `window`). */
  readonly events?: EventTarget | undefined;
}

/** What a tab shows of its group, for inspectors. */
export interface TabsInfo {
  /** This tab's role. */
  readonly role: TabRole;
  /** Tabs sharing the stream, this one included (1 without sharing). */
  readonly tabs: number;
}

/**
 * An error of the leader's stream as it crosses the channel (an `SseError` is not cloneable as such):
 * what a follower needs to rebuild it (see `sharedError`). Fields are absent when the error has none.
 */
export interface SharedError {
  /** An `SseErrorCode` of the sending tab's build (a newer build may know more codes than this one). */
  readonly code: string;
  /** The error's `message` (its hint, when it has one, at the end). */
  readonly message: string;
  readonly hint?: string | undefined;
  /** HTTP status. */
  readonly status?: number | undefined;
  /** `Retry-After` in ms. */
  readonly retryAfter?: number | undefined;
  /** (`gap`) What `SseGapError` tells. */
  readonly requested?: string | undefined;
  readonly resumedFrom?: string | undefined;
  readonly extent?: 'known' | 'unknown' | undefined;
}

/** The leader's shared stream, as followers see it. */
export interface SharedState {
  readonly status: ConnectionStatus;
  readonly retries: number;
  /** Matcher keys the open stream carries. */
  readonly keys: readonly string[];
  /** Keys of matchers other tabs asked for that the hub refused (400): they stay off the stream. */
  readonly refused?: readonly string[] | undefined;
  /** Identity of the stream (leader tab and its open count): subscriptions become active once per stream. */
  readonly stream: string;
  /** Whether the leader's page is hidden (a visible follower then takes over). */
  readonly hidden: boolean;
  /** The stream's error, if any (absent from tabs of older builds). */
  readonly error?: SharedError | undefined;
}

/** Messages between the tabs of a group. */
export type TabMessage =
  | { readonly t: 'hello'; readonly from: string }
  | { readonly t: 'matchers'; readonly from: string; readonly matchers: readonly TopicMatcher[] }
  | { readonly t: 'bye'; readonly from: string }
  | { readonly t: 'event'; readonly from: string; readonly event: RawEvent }
  | { readonly t: 'state'; readonly from: string; readonly state: SharedState }
  /** The leader's stream reported a gap (its reopen could not resume where it left). */
  | { readonly t: 'gap'; readonly from: string; readonly error: SharedError };
