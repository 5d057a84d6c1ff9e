import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { FetchLike, SseDriverOptions } from '../../src/index.js';
import { MockHub } from '../../src/mock/index.js';
import { SseProvider } from '../../src/react/index.js';
import { StoryClock } from './storyClock.js';

/** Where the Node hub of `npm run hub` listens by default. */
export const LOCAL_HUB_URL = 'http://127.0.0.1:8080/.well-known/mercure';

/**
 * A publisher token for the Node hub's development key (`!ChangeThisMercureHubJWTSecretKey!`):
 * `{ "mercure": { "publish": ["*"], "subscribe": ["*"] } }`. Development only.
 */
export const LOCAL_DEV_TOKEN =
  'eyJhbGciOiJIUzI1NiJ9.eyJtZXJjdXJlIjp7InB1Ymxpc2giOlsiKiJdLCJzdWJzY3JpYmUiOlsiKiJdfX0.bVXdlWXwfw9ySx7-iV5OpUSHo34RkjUdVzDLBcc6l_g';

/** Which hub the stories talk to (the toolbar's "Hub" switch). */
export type HubMode = 'mock' | 'local';

/**
 * A connection scenario a story can force on the subscriptions of its main provider:
 * `connecting` (the hub never answers), `reconnecting` (the hub answers 503 every time),
 * `unauthorized` (the hub answers 401 once, which stops the retries), `publish-pending` (subscriptions
 * work, publishes are never answered: a publish stays pending).
 */
export type HubScenario = 'connecting' | 'reconnecting' | 'unauthorized' | 'publish-pending';

/** Story parameters read by the global decorator, under `parameters.sseKit`. */
export interface SseKitParameters {
  /** Force a connection scenario on the main provider (mocked hub only). */
  scenario?: HubScenario;
  /** Show the hub control bar above the story (default `true`). */
  controls?: boolean;
  /** Wrap the story in an `SseProvider` (default `true`; playgrounds with their own providers set `false`). */
  provider?: boolean;
}

/** What stories get from {@link useStoryHub}. */
export interface StoryHub {
  /** Mocked or local hub. */
  readonly mode: HubMode;
  /** The in-memory hub (mocked mode only). */
  readonly hub: MockHub | undefined;
  /** The hub URL. */
  readonly url: string;
  /** The story's clock: the mocked hub's, the drivers' and the components' (see {@link storyClock}). */
  readonly clock: StoryClock;
  /** Driver options for one more client on the same hub (another "user", a simulated publisher). */
  readonly driverOptions: () => SseDriverOptions;
}

const StoryHubContext = createContext<StoryHub | undefined>(undefined);

const clocks = new WeakMap<Element, StoryClock>();
const hubs = new WeakMap<Element, MockHub>();

/**
 * The clock of the story rendered in `canvasElement`, for play functions: hold it and advance it so that
 * what they check never depends on the machine's speed.
 */
export function storyClock(canvasElement: HTMLElement): StoryClock {
  const frame = canvasElement.querySelector('.sb-frame');
  const clock = frame ? clocks.get(frame) : undefined;
  if (!clock) throw new Error('storyClock() found no story frame: is the hub decorator applied?');
  return clock;
}

/** The mocked hub of the story rendered in `canvasElement`, for play functions that wait on hub events. */
export function storyMockHub(canvasElement: HTMLElement): MockHub {
  const frame = canvasElement.querySelector('.sb-frame');
  const hub = frame ? hubs.get(frame) : undefined;
  if (!hub) throw new Error('storyMockHub() found no mocked hub: is the hub decorator applied in mock mode?');
  return hub;
}

/** The hub of the current story. */
export function useStoryHub(): StoryHub {
  const value = useContext(StoryHubContext);
  if (!value) throw new Error('useStoryHub() must be used inside the Storybook hub decorator.');
  return value;
}

/** A response that never comes; rejects only when the client aborts. */
function never(input: Parameters<FetchLike>[0], init: Parameters<FetchLike>[1]): Promise<Response> {
  return new Promise<Response>((_resolve, reject) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    signal?.addEventListener('abort', () => reject(signal.reason ?? new DOMException('Aborted', 'AbortError')));
  });
}

/** Wraps a mock hub's `fetch` so that requests follow a scenario. */
function scenarioFetch(hub: MockHub, scenario: HubScenario | undefined): FetchLike {
  if (scenario === undefined || scenario === 'unauthorized') return hub.fetch;
  return (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method === 'POST') return scenario === 'publish-pending' ? never(input, init) : hub.fetch(input, init);
    if (scenario === 'publish-pending') return hub.fetch(input, init);
    if (scenario === 'reconnecting') {
      return Promise.resolve(new Response('The hub is restarting.', { status: 503, statusText: 'Service Unavailable' }));
    }
    // connecting: never answer.
    return never(input, init);
  };
}

/** Checks whether the Node hub answers on loopback. */
async function probeLocalHub(signal: AbortSignal): Promise<boolean> {
  try {
    await fetch(new URL('/', LOCAL_HUB_URL), { mode: 'no-cors', signal, cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

/** Props of {@link HubFrame}. */
export interface HubFrameProps {
  mode: HubMode;
  latency: number;
  theme: 'auto' | 'light' | 'dark';
  parameters: SseKitParameters;
  children: ReactNode;
}

/**
 * The global decorator's body: a fresh MockHub (or the local hub), the control bar, and an
 * `SseProvider` around the story.
 */
export function HubFrame({ mode, latency, theme, parameters, children }: HubFrameProps) {
  const [clock] = useState(() => new StoryClock());
  const [hub] = useState(() => {
    if (mode !== 'mock') return undefined;
    const created = new MockHub({ latency, now: clock.now, timers: clock });
    if (parameters.scenario === 'unauthorized') created.failNext(401, { method: 'GET' });
    return created;
  });
  const [rejecting, setRejecting] = useState(0);
  const [drops, setDrops] = useState(0);
  const [local, setLocal] = useState<'checking' | 'up' | 'down'>('checking');
  const scenario = parameters.scenario;

  useEffect(() => () => hub?.close(), [hub]);
  // The theme covers the whole frame (the page around the story too), not only the story's box.
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'auto') delete root.dataset['theme'];
    else root.dataset['theme'] = theme;
    return () => {
      delete root.dataset['theme'];
    };
  }, [theme]);
  useEffect(() => hub?.setLatency(latency), [hub, latency]);
  useEffect(() => {
    if (mode !== 'local') return undefined;
    const controller = new AbortController();
    void probeLocalHub(controller.signal).then((up) => {
      if (!controller.signal.aborted) setLocal(up ? 'up' : 'down');
    });
    return () => controller.abort();
  }, [mode]);

  const value = useMemo<StoryHub>(() => {
    const platform = { now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout };
    if (hub) {
      return { mode, hub, url: hub.url, clock, driverOptions: () => ({ url: hub.url, fetch: hub.fetch, platform }) };
    }
    return {
      mode,
      hub: undefined,
      url: LOCAL_HUB_URL,
      clock,
      driverOptions: () => ({ url: LOCAL_HUB_URL, platform, publisher: { headers: { Authorization: `Bearer ${LOCAL_DEV_TOKEN}` } } }),
    };
  }, [hub, mode, clock]);

  const fetchFn = useMemo(() => (hub ? scenarioFetch(hub, scenario) : undefined), [hub, scenario]);
  const providerOptions: SseDriverOptions = fetchFn ? { ...value.driverOptions(), fetch: fetchFn } : value.driverOptions();
  const showControls = parameters.controls !== false;

  return (
    <div
      className="sb-frame"
      data-theme={theme === 'auto' ? undefined : theme}
      ref={(frame) => {
        if (!frame) return;
        clocks.set(frame, clock);
        if (hub) hubs.set(frame, hub);
      }}
    >
      {showControls ? (
        <div className="sb-hubbar" role="group" aria-label="Hub controls">
          <span className="sb-hubbar__mode" data-mode={mode}>
            {mode === 'mock' ? 'Mocked hub' : 'Local hub'}
          </span>
          {hub ? (
            <>
              <span className="sb-hubbar__info">{`latency ${latency} ms`}</span>
              <button
                type="button"
                onClick={() => {
                  hub.dropConnections();
                  setDrops((n) => n + 1);
                }}
              >
                Drop connection
              </button>
              <button
                type="button"
                onClick={() => {
                  hub.failNext(500, { method: 'POST', body: 'Rejected from the Storybook toolbar.' });
                  setRejecting((n) => n + 1);
                }}
              >
                Reject next publish
              </button>
              <span className="sb-hubbar__info" role="status">
                {[drops > 0 ? `dropped ${drops}×` : '', rejecting > 0 ? `rejecting ${rejecting} publish(es)` : ''].filter(Boolean).join(' · ')}
              </span>
            </>
          ) : (
            <span className="sb-hubbar__info">{LOCAL_HUB_URL}</span>
          )}
        </div>
      ) : null}
      {mode === 'local' && local === 'down' ? (
        <p className="sb-alert" role="alert">
          {`The local hub is not running at ${LOCAL_HUB_URL}. Start it with `}
          <code>npm run hub</code>
          {', or switch the toolbar back to Mocked hub.'}
        </p>
      ) : null}
      <StoryHubContext.Provider value={value}>
        {parameters.provider === false ? children : <SseProvider {...providerOptions}>{children}</SseProvider>}
      </StoryHubContext.Provider>
    </div>
  );
}
