'use client';
import { forwardRef, useId, useMemo, useSyncExternalStore, type HTMLAttributes } from 'react';
import type { SubscriptionInfo } from '../index.js';
import { useConnectionStatus, useSseDriver, useTabs } from '../react/index.js';
import { cx } from './cx.js';
import { InspectorStore } from './InspectorStore.js';
import { nowOf } from './ticker.js';
import type { InspectorSnapshot } from './types.js';

/** How this tab takes part in a connection shared by the tabs of one origin. */
export interface HubInspectorTabs {
  /** `leader`: this tab holds the connection; `follower`: it receives through the leader. */
  readonly role: 'leader' | 'follower';
  /** How many tabs share the connection (this one included). */
  readonly count: number;
}

/** Props of {@link HubInspector}. */
export interface HubInspectorProps extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  /** Title of the panel (default `Hub inspector`). */
  title?: string | undefined;
  /** Level of the panel heading, 2–5 (default 2); section headings use the next level. */
  headingLevel?: 2 | 3 | 4 | 5 | undefined;
  /** Timeline entries kept (default 100). */
  timelineSize?: number | undefined;
  /** Errors kept (default 10). */
  errorsSize?: number | undefined;
  /** Formats times (default `HH:MM:SS` in the user's locale). */
  formatTime?: ((time: number) => string) | undefined;
  /**
   * The tab's part in a connection shared across tabs, shown next to the title ("Leader tab · 3 tabs").
   * Default: read from the driver (`useTabs`), shown once tabs share the stream. Pass it to override.
   */
  tabs?: HubInspectorTabs | undefined;
  /**
   * HTTP version of the hub's responses (`http/1.1`, `h2`, `h3`). Default: read from the browser's
   * resource timing entries of the hub's origin, when there are any. Over HTTP/1.x the panel warns that
   * browsers allow six connections per origin, shared by every tab.
   */
  httpVersion?: string | undefined;
}

const defaultFormatTime = (time: number): string =>
  new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const EMPTY: InspectorSnapshot = { subscriptions: [], timeline: [], errors: [], rate: 0, rateHistory: [], updates: 0, lastEventId: undefined };
const serverSnapshot = (): InspectorSnapshot => EMPTY;

/** The HTTP version the browser used for the hub's origin, from resource timing (`undefined` when unknown). */
function observedHttpVersion(url: string): string | undefined {
  if (typeof performance === 'undefined' || typeof performance.getEntriesByType !== 'function') return undefined;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return undefined;
  }
  const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry && entry.nextHopProtocol && entry.name.startsWith(origin)) return entry.nextHopProtocol;
  }
  return undefined;
}

/**
 * `url` as the panel shows it, safe to screenshot: its userinfo (`user:pass@`), and the values of query and
 * fragment parameters whose name suggests a secret (`authorization`, `access_token`, `jwt`, `api_key`,
 * `X-Amz-Signature`, …) or that hold a JWT, read `[redacted]`.
 */
const redactUrl = (url: string): string =>
  url
    .replace(/^([^/?#]*\/\/)[^/?#]*@/, '$1[redacted]@')
    .replace(/([?&;#][^=&;#]*(?:auth|token|jwt|secret|pass|pwd|key|sig|session|cred|cookie|bearer|ticket|code)[^=&;#]*=)[^&;#]*|([?&;#][^=&;#]*=)eyJ[^&;#]*/gi, '$1$2[redacted]');

/** One row per distinct subscription, with how many hooks hold it. */
function distinct(subscriptions: readonly SubscriptionInfo[]): { sub: SubscriptionInfo; count: number; key: string }[] {
  const rows = new Map<string, { sub: SubscriptionInfo; count: number; key: string }>();
  for (const sub of subscriptions) {
    const key = JSON.stringify([sub.matchers, sub.connection, sub.type ?? null, sub.raw]);
    const row = rows.get(key);
    if (row) row.count++;
    else rows.set(key, { sub, count: 1, key });
  }
  return [...rows.values()];
}

/** A sparkline of per-second counts, scaled to its highest value. */
function Sparkline({ values }: { values: readonly number[] }) {
  if (values.length < 2) return null;
  const max = Math.max(1, ...values);
  const step = 100 / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(2)},${(28 - (v / max) * 26).toFixed(2)}`).join(' ');
  return (
    <svg className="sse-inspector__spark" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <polygon className="sse-inspector__spark-area" points={`0,30 ${points} 100,30`} />
      <polyline className="sse-inspector__spark-line" points={points} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}

/**
 * A devtools-style panel for the nearest `SseProvider`: status, event rate with a sparkline of the last
 * seconds, updates, retries, hub, protocol and last event id; the live subscriptions (one row per distinct
 * subscription, with how many hooks hold it); the connection timeline (first connection, retries, opens,
 * drops, resumes, gaps); and recent errors. Warns when the hub is served over HTTP/1.x, where browsers
 * allow six connections per origin. Shows the tab's role when tabs share the connection (`tabs`). The hub
 * url is shown without secrets: its userinfo, and query or fragment parameters whose name suggests one
 * (`authorization`, `access_token`, `jwt`, `api_key`, …) or that hold a JWT, read `[redacted]`.
 *
 * Renders a `section` landmark with `data-state` (the connection status), `data-errors` (how many
 * errors it remembers), `data-http` (the HTTP version, when known) and `data-tab-role`.
 *
 * ```tsx
 * <HubInspector />
 * ```
 */
export const HubInspector = forwardRef<HTMLElement, HubInspectorProps>(function HubInspector(
  { title = 'Hub inspector', headingLevel = 2, timelineSize, errorsSize, formatTime = defaultFormatTime, tabs, httpVersion, className, ...rest },
  ref,
) {
  const driver = useSseDriver();
  // Not `lastEventId`, which changes with every event: the store publishes it with its once-a-second tick.
  const { status, retries } = useConnectionStatus();
  const shared = useTabs();
  // Shown once tabs share the connection (or this tab follows another); a lone tab shows nothing.
  const tabsShown: HubInspectorTabs | undefined =
    tabs ?? (shared.role !== 'pending' && (shared.tabs > 1 || shared.role === 'follower') ? { role: shared.role, count: shared.tabs } : undefined);
  const { platform } = driver;
  const store = useMemo(
    () =>
      new InspectorStore(driver, {
        timelineSize,
        errorsSize,
        // The driver's clock (a story's or a test's, when injected), as the other components use: an interval is a chain of timeouts.
        now: () => nowOf(platform),
        setInterval: (tick, ms) => {
          const chain: { timer?: unknown } = {};
          const next = (): unknown => (chain.timer = platform.setTimeout(() => (next(), tick()), ms));
          next();
          return chain;
        },
        clearInterval: (chain) => platform.clearTimeout((chain as { timer?: unknown }).timer),
      }),
    [driver, platform, timelineSize, errorsSize],
  );
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot);
  const id = useId();
  const H = `h${headingLevel}` as 'h2';
  const Sub = `h${headingLevel + 1}` as 'h3';
  // Read at render: the store's tick and timeline events render the panel often enough.
  const { protocol, lastEventId } = driver.getSnapshot();
  const http = httpVersion ?? (status === 'open' ? observedHttpVersion(driver.url) : undefined);
  const limited = http !== undefined && /^http\/1/i.test(http);
  const rows = distinct(snapshot.subscriptions);

  return (
    <section
      ref={ref}
      className={cx('sse-inspector', className)}
      aria-labelledby={`${id}-title`}
      data-state={status}
      data-errors={snapshot.errors.length}
      data-http={http}
      data-tab-role={tabsShown?.role}
      {...rest}
    >
      <div className="sse-inspector__header">
        <H id={`${id}-title`} className="sse-inspector__title">
          {title}
        </H>
        {tabsShown ? (
          <span className="sse-inspector__tabs" data-role={tabsShown.role}>
            {`${tabsShown.role === 'leader' ? 'Leader tab' : 'Follower tab'} · ${tabsShown.count === 1 ? '1 tab' : `${tabsShown.count} tabs`}`}
          </span>
        ) : null}
      </div>
      {limited ? (
        <p className="sse-inspector__warning">
          {`The hub is served over ${http.toUpperCase()}: browsers open at most six connections per origin, shared by every tab. Serve the hub over HTTP/2 or later.`}
        </p>
      ) : null}
      <dl className="sse-inspector__overview">
        <div className="sse-inspector__fact">
          <dt>Status</dt>
          <dd data-state={status}>{status}</dd>
        </div>
        <div className="sse-inspector__fact" data-kind="rate">
          <dt>Event rate</dt>
          <dd>{`${snapshot.rate.toFixed(1)}/s`}</dd>
          <Sparkline values={snapshot.rateHistory} />
        </div>
        <div className="sse-inspector__fact">
          <dt>Updates</dt>
          <dd>{snapshot.updates}</dd>
        </div>
        <div className="sse-inspector__fact">
          <dt>Retries</dt>
          <dd>{retries}</dd>
        </div>
        <div className="sse-inspector__fact" data-wide="">
          <dt>Hub</dt>
          <dd className="sse-inspector__mono">{redactUrl(driver.url)}</dd>
          <dd className="sse-inspector__sub">{`Protocol ${protocol ?? 'not yet known'}${http ? ` · ${http}` : ''}`}</dd>
        </div>
        <div className="sse-inspector__fact" data-wide="">
          <dt>Last event id</dt>
          <dd className="sse-inspector__mono">{snapshot.lastEventId ?? lastEventId ?? 'none'}</dd>
        </div>
      </dl>

      <Sub id={`${id}-subs`} className="sse-inspector__heading">
        {`Subscriptions (${rows.length})`}
      </Sub>
      {rows.length === 0 ? (
        <p className="sse-inspector__empty">No live subscriptions.</p>
      ) : (
        <div className="sse-inspector__table-wrap" role="region" aria-labelledby={`${id}-subs`} tabIndex={0}>
          <table className="sse-inspector__table">
            <thead>
              <tr>
                <th scope="col">Matchers</th>
                <th scope="col">Connection</th>
                <th scope="col">Type</th>
                <th scope="col">Raw</th>
                <th scope="col">Hooks</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ sub, count, key }) => (
                <tr key={key}>
                  <td className="sse-inspector__mono">{sub.matchers.join(', ')}</td>
                  <td>{sub.connection}</td>
                  <td>{sub.type ?? 'any'}</td>
                  <td>{sub.raw ? 'yes' : 'no'}</td>
                  <td>{count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <Sub id={`${id}-timeline`} className="sse-inspector__heading">
        Connection timeline
      </Sub>
      {snapshot.timeline.length === 0 ? (
        <p className="sse-inspector__empty">Nothing yet.</p>
      ) : (
        <ol className="sse-inspector__timeline" aria-labelledby={`${id}-timeline`} tabIndex={0}>
          {snapshot.timeline.map((entry) => (
            <li key={entry.seq} className="sse-inspector__entry" data-kind={entry.kind}>
              <time className="sse-inspector__time" dateTime={new Date(entry.time).toISOString()}>
                {formatTime(entry.time)}
              </time>
              <span className="sse-inspector__kind">{entry.kind}</span>
              {/* Connection names hold topics, details hold event ids: other users chose them, so they are isolated for bidi. */}
              {entry.connection && entry.connection !== 'main' ? (
                <span className="sse-inspector__connection" dir="auto">
                  {entry.connection}
                </span>
              ) : null}
              <span className="sse-inspector__detail" dir="auto">
                {entry.detail}
              </span>
            </li>
          ))}
        </ol>
      )}

      <Sub id={`${id}-errors`} className="sse-inspector__heading">
        {`Recent errors (${snapshot.errors.length})`}
      </Sub>
      {snapshot.errors.length === 0 ? (
        <p className="sse-inspector__empty">No errors.</p>
      ) : (
        <ol className="sse-inspector__errors" aria-labelledby={`${id}-errors`} tabIndex={0}>
          {snapshot.errors.map(({ seq, time, error }) => (
            <li key={seq} className="sse-inspector__error" data-code={error.code}>
              <time className="sse-inspector__time" dateTime={new Date(time).toISOString()}>
                {formatTime(time)}
              </time>
              <span className="sse-inspector__code">{error.code}</span>
              <span className="sse-inspector__detail" dir="auto">
                {error.message}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
});
