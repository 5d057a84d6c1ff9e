import type { TabGroupPlatform } from './TabGroup.js';
import type { TabChannel, TabLocks, TabsOptions } from './types.js';
import type { SseDriverOptions } from '../types.js';

interface Globals {
  readonly navigator?: { readonly locks?: TabLocks };
  readonly BroadcastChannel?: new (name: string) => TabChannel;
  readonly document?: { readonly visibilityState?: string };
  readonly window?: EventTarget;
}

/**
 * Resolves the `tabs` option of a driver to the platform pieces sharing runs on, or `undefined` when
 * the driver keeps its own stream: sharing turned off, Web Locks or `BroadcastChannel` missing, or —
 * by default — a `fetch` of the application's own (the stream's source is then unknown to other tabs)
 * or no browser window.
 */
export function resolveTabs(option: boolean | TabsOptions | undefined, ownFetch: boolean): TabGroupPlatform | undefined {
  if (option === false) return undefined;
  const g = globalThis as Globals;
  const explicit = option !== undefined;
  if (!explicit && (ownFetch || g.window === undefined)) return undefined;
  const options: TabsOptions = typeof option === 'object' ? option : {};
  const locks = options.locks ?? g.navigator?.locks;
  const Channel = g.BroadcastChannel;
  const channel = options.channel ?? (Channel ? (name: string) => new Channel(name) : undefined);
  if (!locks || !channel) return undefined;
  return {
    locks,
    channel,
    visible: options.visible ?? (() => g.document?.visibilityState !== 'hidden'),
    events: options.events ?? g.window,
  };
}

/** What names a driver's tab group besides the hub URL: the server adapter, wire options, the user's key and the credentials. */
export function tabIdentity(adapterName: string, options: SseDriverOptions, headers: Headers): string[] {
  const credentials: string[] = [];
  headers.forEach((value, name) => credentials.push(`${name}:${value}`));
  const tabs = options.tabs;
  return [
    adapterName,
    options.protocol ?? 'auto',
    String(options.subscriber?.withCredentials ?? false),
    typeof tabs === 'object' ? (tabs.key ?? '') : '',
    ...credentials.sort(),
  ];
}
