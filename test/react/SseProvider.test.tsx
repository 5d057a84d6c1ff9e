import { act, cleanup, render, screen } from '@testing-library/react';
import { Activity, StrictMode, useEffect, useState, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SseDriver } from '../../src/core/SseDriver.js';
import type { SseError } from '../../src/core/errors.js';
import { channels, sse, tokenStream } from '../../src/index.js';
import type { SseDriverOptions } from '../../src/core/types.js';
import type { MockHub } from '../../src/mock/index.js';
import { DriverOwner, UNCLAIMED_MS } from '../../src/react/DriverOwner.js';
import { SseProvider, useConnectionStatus, usePeerSignaling, usePresence, usePublish, useSseDriver, useTopic } from '../../src/react/index.js';
import { countRequests, createDriver, createHub, driverOptions, hubPublish, instrument, tick, topic } from './fixtures.js';

/** An EventTarget (a stand-in for `window`) that counts the listeners added and not removed, by type. */
function countingEvents(): { events: EventTarget; live: () => Record<string, number>; added: () => number } {
  const events = new EventTarget();
  const counts = new Map<string, number>();
  let added = 0;
  const add = events.addEventListener.bind(events);
  const remove = events.removeEventListener.bind(events);
  events.addEventListener = ((type: string, listener: EventListener) => {
    added++;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    add(type, listener);
  }) as EventTarget['addEventListener'];
  events.removeEventListener = ((type: string, listener: EventListener) => {
    counts.set(type, (counts.get(type) ?? 0) - 1);
    remove(type, listener);
  }) as EventTarget['removeEventListener'];
  return { events, live: () => Object.fromEntries([...counts].filter(([, n]) => n !== 0)), added: () => added };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Reader({ name, label }: { name: string; label: string }) {
  const { events, status } = useTopic<{ n: number }>(topic(name));
  return (
    <p data-testid={label} data-state={status}>
      {events.map((e) => e.data.n).join(',')}
    </p>
  );
}

/** A `fetch` to `hub` that records the `X-Credentials` header of every request, in `sent`. */
function credentialsSent(hub: ReturnType<typeof createHub>): { readonly sent: (string | null)[]; readonly fetch: typeof hub.fetch } {
  const sent: (string | null)[] = [];
  return {
    sent,
    fetch: (input, init) => {
      sent.push(new Headers(init?.headers).get('X-Credentials'));
      return hub.fetch(input, init);
    },
  };
}
describe('SseProvider', () => {
  it('makes every hook outside a provider throw one sentence naming SseProvider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const hooks: [string, () => unknown][] = [
      ['useTopic', () => useTopic('a')],
      ['usePublish', () => usePublish('a')],
      ['useConnectionStatus', () => useConnectionStatus()],
      ['useSseDriver', () => useSseDriver()],
    ];
    for (const [name, hook] of hooks) {
      function Lonely() {
        hook();
        return null;
      }
      let thrown: unknown;
      try {
        render(<Lonely />);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'misuse' });
      const message = (thrown as Error).message;
      expect(message).toContain(`${name}()`);
      expect(message).toContain('<SseProvider');
      expect(message.split(/\.\s/).length).toBe(1);
    }
  });

  it('opens exactly one SSE connection for ten components reading three topics (behaviour 1)', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    const names = ['a', 'b', 'c'];
    render(
      <SseProvider {...driverOptions(hub)}>
        {Array.from({ length: 10 }, (_, i) => (
          <Reader key={i} name={names[i % 3] as string} label={`r${i}`} />
        ))}
      </SseProvider>,
    );
    await tick(50);
    expect(requests.subscribes).toBe(1);
    expect(hub.connections).toBe(1);
    expect(hub.subscriptions[0]?.matchers.map((m) => m.match).sort()).toEqual(names.map(topic));
    hubPublish(hub, topic('b'), { n: 7 }, 'b-1');
    await tick(10);
    for (let i = 0; i < 10; i++) expect(screen.getByTestId(`r${i}`).textContent).toBe(i % 3 === 1 ? '7' : '');
    expect(screen.getByTestId('r0').dataset.state).toBe('open');
  });

  it('lets hooks use the nearest of nested providers', async () => {
    const hub = createHub();
    const outer = createDriver(hub);
    const inner = createDriver(hub);
    const seen: SseDriver[] = [];
    function Probe() {
      seen.push(useSseDriver());
      return null;
    }
    render(
      <SseProvider driver={outer}>
        <Probe />
        <SseProvider driver={inner}>
          <Probe />
        </SseProvider>
      </SseProvider>,
    );
    expect(seen).toEqual([outer, inner]);
  });

  it('destroys the driver it created when it unmounts, and never a driver it was given', async () => {
    const hub = createHub();
    const given = createDriver(hub);
    let owned: SseDriver | undefined;
    function Capture() {
      owned = useSseDriver();
      return <Reader name="a" label="r" />;
    }
    const a = render(
      <SseProvider {...driverOptions(hub)}>
        <Capture />
      </SseProvider>,
    );
    const b = render(
      <SseProvider driver={given}>
        <Reader name="a" label="g" />
      </SseProvider>,
    );
    await tick(50);
    expect(hub.connections).toBe(2);
    a.unmount();
    b.unmount();
    await tick(50);
    expect(owned?.destroyed).toBe(true);
    expect(given.destroyed).toBe(false);
    expect(hub.connections).toBe(0);
    given.destroy();
  });

  it('opens one connection under StrictMode and closes it within a short grace period after the last consumer leaves (behaviour 3)', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    let show!: (value: boolean) => void;
    function Toggle({ children }: { children: ReactNode }) {
      const [on, setOn] = useState(true);
      show = setOn;
      return on ? children : null;
    }
    render(
      <StrictMode>
        <SseProvider {...driverOptions(hub)}>
          <Toggle>
            <Reader name="a" label="r1" />
            <Reader name="b" label="r2" />
          </Toggle>
        </SseProvider>
      </StrictMode>,
    );
    await tick(50);
    expect(requests.subscribes).toBe(1);
    expect(hub.connections).toBe(1);
    expect(screen.getByTestId('r1').dataset.state).toBe('open');

    act(() => show(false));
    await tick(20);
    expect(hub.connections).toBe(0);
    expect(requests.subscribes).toBe(1);
  });

  it('passes changed headers to the driver it owns, which retries a connection stopped by 401', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    hub.failNext(401, { method: 'GET' });
    const app = (token: string) => (
      <SseProvider {...driverOptions(hub)} headers={{ 'X-Credentials': token }}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app('old'));
    await tick(50);
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    view.rerender(app('old'));
    await tick(1000);
    expect(requests.subscribes).toBe(1);
    view.rerender(app('new'));
    await tick(50);
    expect(requests.subscribes).toBe(2);
    expect(screen.getByTestId('r').dataset.state).toBe('open');
  });

  it.each(['stopped by 401', 'with a matcher the hub refused', 'open'] as const)(
    'asks the hub nothing more when re-rendered 50 times with an inline headers function (%s), and reads the function rendered last',
    async (state) => {
      const hub = createHub({ refuseMatcher: (matcher) => state === 'with a matcher the hub refused' && matcher === topic('b') });
      const requests = countRequests(hub);
      if (state === 'stopped by 401') hub.failNext(401, { method: 'GET', count: 1000 });
      const { sent, fetch } = credentialsSent(hub);
      let lastCalled = -1;
      const app = (render: number) => (
        <SseProvider
          {...driverOptions(hub, { fetch })}
          headers={() => {
            lastCalled = render;
            return { 'X-Credentials': 'token' };
          }}
        >
          <Reader name="a" label="r" />
          <Reader name="b" label="b" />
        </SseProvider>
      );
      const view = render(app(0));
      await tick(5000);
      const before = requests.subscribes;
      expect(before).toBeGreaterThan(0);
      for (let n = 1; n <= 50; n++) {
        view.rerender(app(n));
        await tick(1);
      }
      await tick(5000);
      // Before: one more subscribe request per render while stopped by 401, or with a refused matcher.
      expect(requests.subscribes).toBe(before);
      // The next request reads the function rendered last.
      act(() => hub.dropConnections());
      await tick(2000);
      if (state === 'open') expect(lastCalled).toBe(50);
    },
  );

  it('retries a connection stopped by 401 once when a new headers function gives a renewed token, and not again for the same token', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    const { sent, fetch } = credentialsSent(hub);
    hub.failNext(401, { method: 'GET' });
    const app = (token: string) => (
      <SseProvider {...driverOptions(hub, { fetch })} headers={() => ({ 'X-Credentials': token })}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app('old'));
    await tick(50);
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    expect(requests.subscribes).toBe(1);
    for (let n = 0; n < 5; n++) view.rerender(app('old'));
    await tick(1000);
    expect(requests.subscribes).toBe(1);
    // An async function too: compared once its value is there.
    const async = (token: string) => (
      <SseProvider {...driverOptions(hub, { fetch })} headers={() => Promise.resolve({ 'X-Credentials': token })}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    for (let n = 0; n < 5; n++) view.rerender(async(n < 4 ? 'old' : 'renewed'));
    await tick(1000);
    expect(requests.subscribes).toBe(2);
    expect(sent.at(-1)).toBe('renewed');
    expect(screen.getByTestId('r').dataset.state).toBe('open');
    for (let n = 0; n < 5; n++) view.rerender(app('renewed'));
    await tick(1000);
    expect(requests.subscribes).toBe(2);
  });

  it.each(['throws', 'rejects'] as const)(
    'retries a connection stopped by a headers function that %s when a new one gives the credentials the last good request sent',
    async (failure) => {
      const hub = createHub();
      const requests = countRequests(hub);
      const { sent, fetch } = credentialsSent(hub);
      const app = (headers: NonNullable<SseDriverOptions['headers']>) => (
        <SseProvider {...driverOptions(hub, { fetch })} headers={headers}>
          <Reader name="a" label="r" />
        </SseProvider>
      );
      const view = render(app(() => ({ 'X-Credentials': 'token' })));
      await tick(50);
      expect(screen.getByTestId('r').dataset.state).toBe('open');
      view.rerender(
        app(() => {
          if (failure === 'throws') throw new Error('no token yet');
          return Promise.reject(new Error('no token yet'));
        }),
      );
      act(() => hub.dropConnections());
      await tick(1000);
      expect(screen.getByTestId('r').dataset.state).toBe('error');
      const before = requests.subscribes;
      // The token is back, the same as before: the stop on the failing function is lifted.
      view.rerender(app(() => ({ 'X-Credentials': 'token' })));
      await tick(1000);
      expect(requests.subscribes).toBe(before + 1);
      expect(sent.at(-1)).toBe('token');
      expect(screen.getByTestId('r').dataset.state).toBe('open');
    },
  );

  it('retries a connection stopped by 401 when headers go from a function to an object, and on reconnect() with the function rendered last', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    const { sent, fetch } = credentialsSent(hub);
    let reconnect!: () => void;
    function Status() {
      reconnect = useConnectionStatus().reconnect;
      return <Reader name="a" label="r" />;
    }
    const app = (headers: SseDriverOptions['headers']) => (
      <SseProvider {...driverOptions(hub, { fetch })} headers={headers}>
        <Status />
      </SseProvider>
    );
    hub.failNext(401, { method: 'GET' });
    const view = render(app(() => ({ 'X-Credentials': 'old' })));
    await tick(50);
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    view.rerender(app({ 'X-Credentials': 'object' }));
    await tick(50);
    expect(requests.subscribes).toBe(2);
    expect(sent.at(-1)).toBe('object');
    expect(screen.getByTestId('r').dataset.state).toBe('open');

    view.rerender(app(() => ({ 'X-Credentials': 'function' })));
    await tick(50);
    hub.failNext(401, { method: 'GET' });
    act(() => hub.dropConnections());
    await tick(1000);
    // The change to a function went to the driver, which reconnected with it: refused.
    expect(sent.at(-1)).toBe('function');
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    view.rerender(app(() => ({ 'X-Credentials': 'function' })));
    await tick(1000);
    // The same credentials from a new function: nothing asked of the hub.
    expect(requests.subscribes).toBe(3);
    let renewed = 'function';
    view.rerender(app(() => ({ 'X-Credentials': renewed })));
    renewed = 'renewed';
    await tick(1000);
    // A function whose value changed after it was rendered (a token store) is read at reconnect().
    expect(requests.subscribes).toBe(3);
    act(() => reconnect());
    await tick(50);
    expect(sent.at(-1)).toBe('renewed');
    expect(screen.getByTestId('r').dataset.state).toBe('open');
  });

  it('calls the onError it rendered last, not the one it mounted with (an inline callback closes over the latest props)', async () => {
    const hub = createHub();
    const calls: string[] = [];
    const app = (room: string) => (
      <SseProvider {...driverOptions(hub)} onError={(error: SseError) => calls.push(`${room}:${error.code}`)}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app('first'));
    await tick(50);
    view.rerender(app('second'));
    await tick(10);
    hub.failNext(401, { method: 'GET' });
    hub.dropConnections();
    await tick(1000);
    expect(screen.getByTestId('r').dataset.state).toBe('error');
    expect(calls).toContain('second:unauthorized');
    expect(calls.filter((call) => call.startsWith('first:'))).toEqual([]);
  });

  it('warns in development, once per option and naming the key fix, when a connection option changes after mount (issue 15.6)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const hub = createHub();
    const other = createHub({ url: 'https://other.hub/.well-known/mercure' });
    const requests = countRequests(hub);
    // New objects and functions at every render (as inline props are), equal values: no warning.
    const app = (url: string, extra: Partial<SseDriverOptions> = {}) => (
      <SseProvider {...driverOptions(hub)} url={url} headers={{ 'X-Credentials': 'token' }} topicOf={() => undefined} {...extra}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app(hub.url));
    await tick(50);
    view.rerender(app(hub.url));
    await tick(50);
    expect(warn).not.toHaveBeenCalled();

    view.rerender(app(other.url));
    await tick(50);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain('<SseProvider>');
    expect(message).toContain('"url"');
    expect(message).toContain('key');
    // The change is ignored: still one connection, to the first hub.
    expect(requests.subscribes).toBe(1);
    expect(other.connections).toBe(0);
    view.rerender(app(`${other.url}?again`));
    await tick(50);
    expect(warn).toHaveBeenCalledTimes(1);

    view.rerender(app(other.url, { retry: { initialDelay: 5, maxDelay: 10 } }));
    await tick(50);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1]?.[0])).toContain('"retry"');

    // With the key the message names, the provider connects with the new options.
    view.rerender(<SseProvider key="other" {...driverOptions(other)} />);
    await tick(50);
    view.rerender(
      <SseProvider key="other" {...driverOptions(other)}>
        <Reader name="a" label="r" />
      </SseProvider>,
    );
    await tick(50);
    expect(other.connections).toBe(1);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('takes an option going from absent to an explicit undefined (and back) as unchanged: no warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const hub = createHub();
    const requests = countRequests(hub);
    const app = (extra: Partial<SseDriverOptions>) => (
      <SseProvider {...driverOptions(hub)} {...extra}>
        <Reader name="a" label="r" />
      </SseProvider>
    );
    const view = render(app({}));
    await tick(50);
    view.rerender(
      app({
        headers: undefined,
        clientId: undefined,
        tabs: undefined,
        resume: undefined,
        server: undefined,
        onError: undefined,
        subscriber: undefined,
        retry: { initialDelay: 100, maxDelay: 1000, factor: undefined },
      }),
    );
    await tick(50);
    view.rerender(app({}));
    await tick(50);
    expect(warn).not.toHaveBeenCalled();
    expect(requests.subscribes).toBe(1);
    expect(screen.getByTestId('r').dataset.state).toBe('open');
  });

  it('takes a server adapter made again at every render with the same settings for the same option, and warns when its settings change', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const hub = createHub();
    const owner = new DriverOwner({ ...driverOptions(hub), server: channels({ subscribePath: '/live/' }) });
    try {
      // Inline `server={channels({ … })}`: a new adapter object at every render, the same settings.
      owner.setOptions({ ...driverOptions(hub), server: channels({ subscribePath: '/live/' }) });
      expect(warn).not.toHaveBeenCalled();
      owner.setOptions({ ...driverOptions(hub), server: channels({ subscribePath: '/other/' }) });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain('"server"');
    } finally {
      owner.getSnapshot().destroy();
    }

    warn.mockClear();
    const plain = new DriverOwner({ ...driverOptions(hub), server: sse({ publishUrl: '/publish' }) });
    try {
      plain.setOptions({ ...driverOptions(hub), server: sse({ publishUrl: '/publish' }) });
      expect(warn).not.toHaveBeenCalled();
      // Another kind of server is a change too.
      plain.setOptions({ ...driverOptions(hub), server: tokenStream({}) });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      plain.getSnapshot().destroy();
    }

    warn.mockClear();
    const own = new DriverOwner({ ...driverOptions(hub), server: sse() });
    try {
      // An adapter written by hand, without `settings`, compares by identity.
      own.setOptions({ ...driverOptions(hub), server: { ...sse(), settings: undefined } });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      own.getSnapshot().destroy();
    }
  });

  it('stays silent about changed options in production', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubEnv('NODE_ENV', 'production');
    try {
      const hub = createHub();
      const view = render(<SseProvider {...driverOptions(hub)} />);
      view.rerender(<SseProvider {...driverOptions(hub)} url="https://elsewhere.example/hub" />);
      await tick(10);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('leaves no connection, timer or listener behind after 1,000 mount/unmount cycles (behaviour 3)', async () => {
    const hub = createHub();
    const page = countingEvents();
    const platform = { random: () => 1, events: page.events };
    const driver = createDriver(hub, { platform });
    const stats = instrument(driver);
    function Consumer({ i }: { i: number }) {
      useTopic(topic(i % 7));
      useConnectionStatus();
      usePublish(topic('out'));
      usePeerSignaling(`room-${i % 3}`, { encrypt: false, platform: { events: page.events } });
      return null;
    }
    for (let i = 0; i < 1000; i++) {
      const view = render(
        <StrictMode>
          <SseProvider driver={driver}>
            <Consumer i={i} />
          </SseProvider>
        </StrictMode>,
      );
      // Every 50th cycle lets the connection open before unmounting.
      if (i % 50 === 0) await tick(20);
      view.unmount();
    }
    // Providers that own their driver, mounted and unmounted as often.
    const owned: SseDriver[] = [];
    function Capture() {
      owned.push(useSseDriver());
      return <Consumer i={0} />;
    }
    for (let i = 0; i < 1000; i++) {
      const view = render(
        <StrictMode>
          <SseProvider {...driverOptions(hub, { platform })}>
            <Capture />
          </SseProvider>
        </StrictMode>,
      );
      if (i % 50 === 0) await tick(20);
      view.unmount();
    }
    // StrictMode's discarded drivers (never mounted) go once unclaimed.
    await tick(UNCLAIMED_MS);
    expect(stats.subscribes).toBeGreaterThanOrEqual(1000);
    expect(stats.liveSubscriptions).toBe(0);
    expect(stats.liveStateListeners).toBe(0);
    expect(driver.getSubscriptions()).toEqual([]);
    expect(new Set(owned).size).toBeGreaterThanOrEqual(1000);
    expect(owned.every((d) => d.destroyed)).toBe(true);
    expect(hub.connections).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // Window listeners (online, pagehide, pageshow) of drivers and signaling: all removed.
    expect(page.added()).toBeGreaterThanOrEqual(2000);
    expect(page.live()).toEqual({});
    driver.destroy();
    // The bound below: 1,000 render cycles take seconds of CPU, and on a busy machine the default 20 s ran
    // out — the overrunning test then kept rendering into the next one (the <Activity> test).
  }, 180_000);

  /**
   * Advances fake time in 10 ms steps until `check` passes, for at most `limit` ms of fake time. What the
   * checks wait for is caused by hub events (a join, a close), which may need several turns of the real
   * event loop between timers: on a busy machine a fixed advance can end before those turns have run.
   */
  async function settles(check: () => void, limit = 5_000): Promise<void> {
    for (let elapsed = 0; ; elapsed += 10) {
      try {
        check();
        return;
      } catch (error) {
        if (elapsed >= limit) throw error;
      }
      await tick(10);
    }
  }

  it('survives <Activity> hiding and showing a provider that owns its driver: a fresh driver, rejoined', async () => {
    for (const stableChildren of [false, true]) {
      const hub = createHub();
      const bobDriver = createDriver(hub);
      const seen: SseDriver[] = [];
      let setMode!: (mode: 'visible' | 'hidden') => void;
      function Member({ name }: { name: string }) {
        seen.push(useSseDriver());
        const room = usePeerSignaling('lobby', { peerId: name, encrypt: false });
        const { status } = useTopic(topic('feed'));
        return (
          <p data-testid={name} data-state={status}>
            {room.status}:{room.peers.map((p) => p.id).join(',')}
          </p>
        );
      }
      const ada = (
        <SseProvider {...driverOptions(hub)}>
          <Member name="ada" />
        </SseProvider>
      );
      function App({ children }: { children: ReactNode }) {
        const [mode, set] = useState<'visible' | 'hidden'>('visible');
        setMode = set;
        // With stable children the provider is not rendered again on show: only its effects run.
        return <Activity mode={mode}>{stableChildren ? children : <SseProvider {...driverOptions(hub)}>{<Member name="ada" />}</SseProvider>}</Activity>;
      }
      render(
        <>
          <App>{ada}</App>
          <SseProvider driver={bobDriver}>
            <Member name="bob" />
          </SseProvider>
        </>,
      );
      await settles(() => expect(screen.getByTestId('ada').textContent).toBe('joined:bob'));
      const first = seen.findLast((d) => d !== bobDriver)!;

      act(() => setMode('hidden'));
      await settles(() => {
        expect(first.destroyed).toBe(true);
        expect(hub.connections).toBe(1);
      });

      act(() => setMode('visible'));
      await settles(() => {
        const current = seen.findLast((d) => d !== bobDriver)!;
        expect(current).not.toBe(first);
        expect(current.destroyed).toBe(false);
        expect(screen.getByTestId('ada').textContent).toBe('joined:bob');
        expect(screen.getByTestId('ada').dataset.state).toBe('open');
        expect(screen.getByTestId('bob').textContent).toBe('joined:ada');
      });
      cleanup();
      bobDriver.destroy();
      await settles(() => expect(hub.connections).toBe(0));
      expect(seen.every((d) => d.destroyed)).toBe(true);
    }
  });
});

describe('SseProvider under <Activity>', () => {
  type Mode = 'visible' | 'hidden';
  /** Renders `children` in a provider of its own inside `<Activity>`; returns what shows or hides it. */
  function renderInActivity(hub: MockHub, children: ReactNode, initial: Mode = 'visible'): (mode: Mode) => void {
    let setMode!: (mode: Mode) => void;
    function App() {
      const [mode, set] = useState<Mode>(initial);
      setMode = set;
      return (
        <Activity mode={mode}>
          <SseProvider {...driverOptions(hub)}>{children}</SseProvider>
        </Activity>
      );
    }
    render(<App />);
    return (mode) => act(() => setMode(mode));
  }

  it('publishes through the fresh driver after the provider was hidden and shown again', async () => {
    const hub = createHub();
    let publishAsync!: (data: unknown) => Promise<string>;
    function Composer() {
      publishAsync = usePublish(topic('out')).publishAsync;
      return <Reader name="a" label="r" />;
    }
    const show = renderInActivity(hub, <Composer />);
    await tick(50);
    show('hidden');
    await tick(50);
    show('visible');
    await tick(50);
    let id: string | undefined;
    await act(async () => {
      id = await publishAsync('after');
    });
    expect(id).toMatch(/^urn:uuid:/);
    expect(hub.history.map((u) => u.topics[0])).toEqual([topic('out')]);
  });

  it('sends a publish made by an effect that runs when the provider is shown again, through the fresh driver', async () => {
    const hub = createHub();
    const outcomes: string[] = [];
    function Greeter() {
      const { publishAsync } = usePublish(topic('hello'));
      // Runs on every show: <Activity> mounts effects again.
      useEffect(() => {
        publishAsync('hi').then(
          () => outcomes.push('sent'),
          (error: SseError) => outcomes.push(error.code),
        );
      }, [publishAsync]);
      return null;
    }
    const show = renderInActivity(hub, <Greeter />);
    await tick(50);
    show('hidden');
    await tick(50);
    show('visible');
    await tick(50);
    // Before the fix: ['sent', 'closed'] — the effect ran before the provider replaced its destroyed driver.
    expect(outcomes).toEqual(['sent', 'sent']);
    expect(hub.history.map((u) => u.topics[0])).toEqual([topic('hello'), topic('hello')]);
  });

  it('skips its own update replayed on the fresh driver with ignoreSelf, though the fresh driver has another client id', async () => {
    const hub = createHub();
    let publishAsync!: (data: unknown) => Promise<string>;
    function Chat() {
      publishAsync = usePublish(topic('chat')).publishAsync;
      const { events } = useTopic<string>(topic('chat'), { ignoreSelf: true });
      return <p data-testid="chat">{events.map((e) => e.data).join(',')}</p>;
    }
    const show = renderInActivity(hub, <Chat />);
    await tick(50);
    act(() => hubPublish(hub, topic('chat'), 'first', 'urn:uuid:first'));
    await tick(50);
    // The echo of its own publish has not reached the client when the provider is hidden.
    hub.pause();
    await act(async () => {
      await publishAsync('mine');
    });
    show('hidden');
    await tick(50);
    hub.resume();
    act(() => hubPublish(hub, topic('chat'), 'theirs', 'urn:uuid:theirs'));
    show('visible');
    await tick(100);
    // Before the fix: first,mine,theirs — the fresh driver had another client id, so the replayed echo was not its own.
    expect(screen.getByTestId('chat').textContent).toBe('first,theirs');
  });

  it('resumes the fresh driver where the destroyed one stopped: an update published while the provider was hidden arrives once, when shown', async () => {
    const hub = createHub();
    const drivers: SseDriver[] = [];
    function Spy() {
      const driver = useSseDriver();
      if (!drivers.includes(driver)) drivers.push(driver);
      return null;
    }
    const show = renderInActivity(
      hub,
      <>
        <Spy />
        <Reader name="a" label="r" />
      </>,
    );
    await tick(50);
    act(() => hubPublish(hub, topic('a'), { n: 1 }, 'urn:uuid:before-hide'));
    await tick(50);
    expect(screen.getByTestId('r').textContent).toBe('1');
    show('hidden');
    await tick(50);
    expect(drivers[0]?.destroyed).toBe(true);
    act(() => hubPublish(hub, topic('a'), { n: 2 }, 'urn:uuid:while-hidden'));
    show('visible');
    await tick(100);
    expect(drivers).toHaveLength(2);
    // The reader's list goes on: what it had, then the update it missed, once (before the fix: nothing).
    expect(screen.getByTestId('r').textContent).toBe('1,2');
  });

  it('starts a since subscription afresh on the fresh driver: its replay is not appended to what it had', async () => {
    const hub = createHub();
    act(() => hubPublish(hub, topic('a'), { n: 0 }, 'urn:uuid:origin'));
    function SinceReader() {
      const { events } = useTopic<{ n: number }>(topic('a'), { since: 'urn:uuid:origin' });
      return <p data-testid="since">{events.map((e) => e.data.n).join(',')}</p>;
    }
    const show = renderInActivity(hub, <SinceReader />);
    await tick(50);
    act(() => hubPublish(hub, topic('a'), { n: 1 }, 'urn:uuid:one'));
    await tick(50);
    expect(screen.getByTestId('since').textContent).toBe('1');
    show('hidden');
    await tick(50);
    act(() => hubPublish(hub, topic('a'), { n: 2 }, 'urn:uuid:two'));
    show('visible');
    await tick(100);
    expect(screen.getByTestId('since').textContent).toBe('1,2');
  });

  it('renders a provider first mounted hidden and shown after its unclaimed driver was destroyed (presence and topics on the fresh driver)', async () => {
    const hub = createHub({ subscriptions: true });
    function Presence() {
      const { error } = usePresence(topic('room'));
      return <p data-testid="presence">{error?.code ?? 'watching'}</p>;
    }
    const show = renderInActivity(
      hub,
      <>
        <Presence />
        <Reader name="a" label="r" />
      </>,
      'hidden',
    );
    await tick(UNCLAIMED_MS + 10);
    show('visible');
    await tick(100);
    // Before the fix, the watch subscribed on the destroyed driver and the tree unmounted with `closed`.
    expect(screen.getByTestId('presence').textContent).toBe('watching');
    act(() => hubPublish(hub, topic('a'), { n: 7 }, 'urn:uuid:after-show'));
    await tick(50);
    expect(screen.getByTestId('r').textContent).toBe('7');
  });
});

describe('DriverOwner', () => {
  /** Lets the release microtask and the idle check run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('makes its driver when constructed, never when read, and replaces a destroyed one when mounted again', async () => {
    const hub = createHub();
    const owner = new DriverOwner(driverOptions(hub));
    const first = owner.getSnapshot();
    expect(owner.getSnapshot()).toBe(first);
    owner.retain();
    owner.release();
    await settle();
    expect(first.destroyed).toBe(true);
    const listener = vi.fn();
    owner.subscribe(listener);
    // Reading never constructs: the destroyed driver stays until a mount replaces it.
    expect(owner.getSnapshot()).toBe(first);
    expect(listener).not.toHaveBeenCalled();
    owner.retain();
    const second = owner.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.destroyed).toBe(false);
    expect(listener).toHaveBeenCalledTimes(1);
    owner.release();
    owner.retain();
    await settle();
    expect(second.destroyed).toBe(false);
    expect(owner.getSnapshot()).toBe(second);
    owner.release();
    await settle();
    expect(second.destroyed).toBe(true);
  });

  it('destroys a driver no provider mounted with (StrictMode discards one of two initializers), and keeps a mounted one', async () => {
    const hub = createHub();
    const discarded = new DriverOwner(driverOptions(hub));
    const kept = new DriverOwner(driverOptions(hub));
    kept.retain();
    await vi.advanceTimersByTimeAsync(UNCLAIMED_MS - 1);
    expect(discarded.getSnapshot().destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(discarded.getSnapshot().destroyed).toBe(true);
    expect(kept.getSnapshot().destroyed).toBe(false);
    // Mounted late after all (a slow concurrent commit): it gets a fresh driver.
    discarded.retain();
    expect(discarded.getSnapshot().destroyed).toBe(false);
    discarded.release();
    kept.release();
    await settle();
  });

  it('lets a last publish (a goodbye) reach the hub before destroying the driver it owns', async () => {
    const hub = createHub({ latency: 30 });
    const owner = new DriverOwner(driverOptions(hub));
    const driver = owner.getSnapshot();
    owner.retain();
    const bye = driver.publish('https://example.com/room', 'bye');
    owner.release();
    await settle();
    expect(driver.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await expect(bye).resolves.toMatch(/^urn:uuid:/);
    expect(driver.destroyed).toBe(true);
    expect(hub.history.map((u) => u.topics[0])).toEqual(['https://example.com/room']);
  });
});
