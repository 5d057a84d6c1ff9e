'use client';
import { forwardRef, useId, useMemo, useSyncExternalStore, type HTMLAttributes } from 'react';
import { useConnectionStatus, useSseDriver } from '../react/index.js';
import { cx } from './cx.js';
import { InspectorStore, type InspectorStoreOptions } from './InspectorStore.js';
import type { InspectorSnapshot } from './types.js';

/** Props of {@link HubInspector}. */
export interface HubInspectorProps extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  /** Title of the panel (default `Hub inspector`). */
  title?: string;
  /** Level of the panel heading, 2–5 (default 2); section headings use the next level. */
  headingLevel?: 2 | 3 | 4 | 5;
  /** Timeline entries kept (default 100). */
  timelineSize?: number;
  /** Errors kept (default 10). */
  errorsSize?: number;
  /** Formats times (default `HH:MM:SS` in the user's locale). */
  formatTime?: (time: number) => string;
}

const defaultFormatTime = (time: number): string =>
  new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

const EMPTY: InspectorSnapshot = { subscriptions: [], timeline: [], errors: [], rate: 0, updates: 0, lastEventId: undefined };
const serverSnapshot = (): InspectorSnapshot => EMPTY;

/**
 * A devtools-style panel for the nearest `SseProvider`: live subscriptions and their matchers, the
 * connection timeline (opens, drops, resumes, gaps), the last event id, the event rate and recent errors.
 *
 * Renders a `section` landmark with `data-state` (the connection status) and `data-errors` (how many
 * errors it remembers).
 *
 * ```tsx
 * <HubInspector />
 * ```
 */
export const HubInspector = forwardRef<HTMLElement, HubInspectorProps>(function HubInspector(
  { title = 'Hub inspector', headingLevel = 2, timelineSize, errorsSize, formatTime = defaultFormatTime, className, ...rest },
  ref,
) {
  const driver = useSseDriver();
  const { status, lastEventId, retries } = useConnectionStatus();
  const store = useMemo(() => {
    const options: InspectorStoreOptions = {};
    if (timelineSize !== undefined) options.timelineSize = timelineSize;
    if (errorsSize !== undefined) options.errorsSize = errorsSize;
    return new InspectorStore(driver, options);
  }, [driver, timelineSize, errorsSize]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot);
  const id = useId();
  const H = `h${headingLevel}` as 'h2';
  const Sub = `h${headingLevel + 1}` as 'h3';
  const protocol = driver.getState().protocol;

  return (
    <section
      ref={ref}
      className={cx('sse-inspector', className)}
      aria-labelledby={`${id}-title`}
      data-state={status}
      data-errors={snapshot.errors.length}
      {...rest}
    >
      <H id={`${id}-title`} className="sse-inspector__title">
        {title}
      </H>
      <dl className="sse-inspector__overview">
        <div className="sse-inspector__fact">
          <dt>Status</dt>
          <dd data-state={status}>{status}</dd>
        </div>
        <div className="sse-inspector__fact">
          <dt>Event rate</dt>
          <dd>{`${snapshot.rate.toFixed(1)}/s`}</dd>
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
          <dd className="sse-inspector__mono">{driver.url}</dd>
        </div>
        <div className="sse-inspector__fact" data-wide="">
          <dt>Last event id</dt>
          <dd className="sse-inspector__mono">{snapshot.lastEventId ?? lastEventId ?? 'none'}</dd>
        </div>
        <div className="sse-inspector__fact">
          <dt>Protocol</dt>
          <dd>{protocol ?? 'not yet known'}</dd>
        </div>
      </dl>

      <Sub id={`${id}-subs`} className="sse-inspector__heading">
        {`Subscriptions (${snapshot.subscriptions.length})`}
      </Sub>
      {snapshot.subscriptions.length === 0 ? (
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
              </tr>
            </thead>
            <tbody>
              {snapshot.subscriptions.map((sub, index) => (
                <tr key={index}>
                  <td className="sse-inspector__mono">{sub.matchers.join(', ')}</td>
                  <td>{sub.connection}</td>
                  <td>{sub.type ?? 'any'}</td>
                  <td>{sub.raw ? 'yes' : 'no'}</td>
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
              {entry.connection && entry.connection !== 'main' ? (
                <span className="sse-inspector__connection">{entry.connection}</span>
              ) : null}
              <span className="sse-inspector__detail">{entry.detail}</span>
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
              <span className="sse-inspector__detail">{error.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
});
