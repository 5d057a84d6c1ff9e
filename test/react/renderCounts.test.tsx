import { act, cleanup, render, screen } from '@testing-library/react';
import { Profiler, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseProvider, useConnectionStatus, useTopic, type ConnectionState } from '../../src/react/index.js';
import { FRAME_MS } from '../../src/react/notifyScheduler.js';
import { createDriver, createHub, hubPublish, instrument, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** Lets the driver read what the hub wrote (stream reads settle in microtasks), without running timers. */
async function drain(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  });
}

describe('one commit per batch across every useTopic (issue 16)', () => {
  function Readers({ renders }: { renders: number[] }) {
    return (
      <>
        {renders.map((_, i) => (
          <Reader key={i} i={i} renders={renders} />
        ))}
      </>
    );
  }
  function Reader({ i, renders }: { i: number; renders: number[] }) {
    const { last, events } = useTopic<number>(topic(i), { buffer: 20 });
    renders[i] = (renders[i] ?? 0) + 1;
    return (
      <span data-testid={`r${i}`}>
        {last?.data ?? '-'}/{events.length}
      </span>
    );
  }

  async function mountReaders() {
    const hub = createHub();
    const driver = createDriver(hub);
    const renders = new Array<number>(100).fill(0);
    let commits = 0;
    render(
      <SseProvider driver={driver}>
        <Profiler id="readers" onRender={() => commits++}>
          <Readers renders={renders} />
        </Profiler>
      </SseProvider>,
    );
    await tick(50);
    expect(hub.connections).toBe(1);
    return { hub, driver, renders, commits: () => commits };
  }

  it('commits once for 1,000 updates into 100 readers arriving in 10 network chunks within one batch', async () => {
    const { hub, driver, renders, commits } = await mountReaders();
    const before = commits();
    const rendersBefore = renders.reduce((a, b) => a + b, 0);
    for (let chunk = 0; chunk < 10; chunk++) {
      for (let n = chunk * 100; n < (chunk + 1) * 100; n++) hubPublish(hub, topic(n % 100), n, `u-${n}`);
      // Each chunk is read and routed before the next one arrives.
      await drain();
    }
    expect(commits() - before).toBe(0);
    await tick(0);
    expect(commits() - before).toBe(1);
    expect(renders.reduce((a, b) => a + b, 0) - rendersBefore).toBe(100);
    for (let i = 0; i < 100; i++) expect(screen.getByTestId(`r${i}`).textContent).toBe(`${900 + i}/10`);
    driver.destroy();
  });

  it('commits a burst spread over many tasks twice at once, then once per frame (not once per chunk)', async () => {
    const { hub, driver, renders, commits } = await mountReaders();
    const before = commits();
    const rendersBefore = renders.reduce((a, b) => a + b, 0);
    for (let chunk = 0; chunk < 10; chunk++) {
      for (let n = chunk * 100; n < (chunk + 1) * 100; n++) hubPublish(hub, topic(n % 100), n, `u-${n}`);
      // Each chunk arrives in its own task: zero-delay timers run in between.
      await tick(0);
    }
    // The first two chunks commit at once; the other eight wait for the frame to end.
    expect(commits() - before).toBe(2);
    for (let i = 0; i < 100; i++) expect(screen.getByTestId(`r${i}`).textContent).toBe(`${100 + i}/2`);
    await tick(FRAME_MS);
    expect(commits() - before).toBe(3);
    expect(renders.reduce((a, b) => a + b, 0) - rendersBefore).toBe(300);
    for (let i = 0; i < 100; i++) expect(screen.getByTestId(`r${i}`).textContent).toBe(`${900 + i}/10`);
    driver.destroy();
  });

  it('paces a long burst at one commit per frame, and commits at once again after a quiet frame', async () => {
    const { hub, driver, commits } = await mountReaders();
    const before = commits();
    // One update every 4 ms for 100 ms: 25 tasks.
    for (let n = 0; n < 25; n++) {
      hubPublish(hub, topic(n % 100), n, `p-${n}`);
      await tick(4);
    }
    await tick(FRAME_MS);
    // Batches at 0 and 4 ms, then one per frame: 20, 36, 52, 68, 84, 100.
    expect(commits() - before).toBe(8);
    expect(screen.getByTestId('r24').textContent).toBe('24/1');
    await tick(FRAME_MS);
    hubPublish(hub, topic(0), 'late', 'p-late');
    await tick(0);
    expect(commits() - before).toBe(9);
    expect(screen.getByTestId('r0').textContent).toBe('late/2');
    driver.destroy();
  });

  it('leaves no timer behind when the readers unmount with a batch pending, and shows the updates on remount', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    let show!: (value: boolean) => void;
    function Last() {
      const { last } = useTopic<number>(topic('x'));
      return <span data-testid="x">{last?.data ?? '-'}</span>;
    }
    function Toggle() {
      const [on, setOn] = useState(true);
      show = setOn;
      return on ? <Last /> : null;
    }
    render(
      <SseProvider driver={driver}>
        <Toggle />
      </SseProvider>,
    );
    await tick(50);
    hubPublish(hub, topic('x'), 7, 'x-1');
    await drain();
    act(() => show(false));
    await tick(50);
    expect(vi.getTimerCount()).toBe(0);
    act(() => show(true));
    await tick(50);
    expect(screen.getByTestId('x').textContent).toBe('-');
    hubPublish(hub, topic('x'), 8, 'x-2');
    await tick(10);
    expect(screen.getByTestId('x').textContent).toBe('8');
    driver.destroy();
  });

  it('does not let a timer that never fires (its clock was swapped out) hold back the readers of other drivers', async () => {
    const hub = createHub();
    let lose = false;
    const lossy = createDriver(hub, {
      platform: {
        random: () => 1,
        events: undefined,
        // Once `lose` is set, zero-delay timers are accepted and never run, as with an uninstalled fake clock.
        setTimeout: (callback, ms) => (lose && ms === 0 ? 'lost' : globalThis.setTimeout(callback, ms)),
        clearTimeout: (handle) => {
          if (handle !== 'lost') globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
        },
      },
    });
    const healthy = createDriver(hub);
    function Last({ name }: { name: string }) {
      const { last } = useTopic<number>(topic(name));
      return <span data-testid={name}>{last?.data ?? '-'}</span>;
    }
    render(
      <>
        <SseProvider driver={lossy}>
          <Last name="a" />
        </SseProvider>
        <SseProvider driver={healthy}>
          <Last name="b" />
        </SseProvider>
      </>,
    );
    await tick(50);
    lose = true;
    hubPublish(hub, topic('a'), 1, 'a-1');
    await tick(10);
    expect(screen.getByTestId('a').textContent).toBe('-');
    hubPublish(hub, topic('b'), 2, 'b-1');
    await tick(10);
    expect(screen.getByTestId('b').textContent).toBe('2');
    expect(screen.getByTestId('a').textContent).toBe('1');
    lossy.destroy();
    healthy.destroy();
  });

  it('batches readers of two providers (two drivers) into one commit', async () => {
    const hub = createHub();
    const a = createDriver(hub);
    const b = createDriver(hub);
    let commits = 0;
    function Last({ name }: { name: string }) {
      const { last } = useTopic<number>(topic(name));
      return <span data-testid={name}>{last?.data ?? '-'}</span>;
    }
    render(
      <Profiler id="both" onRender={() => commits++}>
        <SseProvider driver={a}>
          <Last name="a" />
        </SseProvider>
        <SseProvider driver={b}>
          <Last name="b" />
        </SseProvider>
      </Profiler>,
    );
    await tick(50);
    const before = commits;
    hubPublish(hub, topic('a'), 1, 'a-1');
    hubPublish(hub, topic('b'), 2, 'b-1');
    await tick(0);
    expect(commits - before).toBe(1);
    expect(screen.getByTestId('a').textContent).toBe('1');
    expect(screen.getByTestId('b').textContent).toBe('2');
    a.destroy();
    b.destroy();
  });
});

describe('useTopic re-renders for the connection only when it reads it (issue 15.4)', () => {
  it('a reader of events alone does not re-render when the connection drops and resumes; a reader of status does', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const renders = { data: 0, status: 0 };
    let statusSeen = '';
    function DataOnly() {
      const { events } = useTopic<number>(topic('t'));
      renders.data++;
      return <p>{events.length}</p>;
    }
    function WithStatus() {
      const { events, status, connectionError } = useTopic<number>(topic('t'));
      renders.status++;
      statusSeen = `${status} ${connectionError?.code ?? 'none'}`;
      return <p>{events.length}</p>;
    }
    render(
      <SseProvider driver={driver}>
        <DataOnly />
        <WithStatus />
      </SseProvider>,
    );
    await tick(50);
    expect(statusSeen).toBe('open none');
    const before = { ...renders };
    hub.failNext(503, { method: 'GET' });
    hub.dropConnections();
    await tick(10);
    expect(statusSeen).toBe('reconnecting network');
    await tick(2000);
    expect(statusSeen).toBe('open none');
    expect(renders.data - before.data).toBe(0);
    expect(renders.status - before.status).toBeGreaterThanOrEqual(2);
    hubPublish(hub, topic('t'), 1, 'e-1');
    await tick(10);
    expect(renders.data - before.data).toBe(1);
    driver.destroy();
  });

  it('keeps its own error apart from the connection error, and clear() resets only its own', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { topicOf: () => topic('raw') });
    let seen: { error: string; connectionError: string; clear: () => void } | undefined;
    function Raw() {
      const { error, connectionError, clear } = useTopic(topic('raw'), { raw: true });
      seen = { error: error?.code ?? 'none', connectionError: connectionError?.code ?? 'none', clear };
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Raw />
      </SseProvider>,
    );
    await tick(50);
    hub.publish({ topic: topic('raw'), id: 'r-1', data: 'not json' });
    await tick(10);
    expect(seen).toMatchObject({ error: 'parse', connectionError: 'none' });
    hub.failNext(401, { method: 'GET' });
    hub.dropConnections();
    await tick(1000);
    expect(seen).toMatchObject({ error: 'parse', connectionError: 'unauthorized' });
    act(() => seen?.clear());
    expect(seen).toMatchObject({ error: 'none', connectionError: 'unauthorized' });
    driver.destroy();
  });
});

describe('useTopic and useConnectionStatus agree on the connection', () => {
  it('show the same status in every render of a component reading both, through a connect, a drop and a resume', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 500, maxDelay: 500 } });
    const seen: string[] = [];
    function Both() {
      const { status } = useTopic(topic('t'));
      const connection = useConnectionStatus();
      seen.push(`${status}/${connection.status}`);
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Both />
      </SseProvider>,
    );
    await tick(50);
    hub.dropConnections();
    await tick(1000);
    expect(seen.at(-1)).toBe('open/open');
    expect(seen).toContain('reconnecting/reconnecting');
    expect(seen.filter((pair) => pair.split('/')[0] !== pair.split('/')[1])).toEqual([]);
    driver.destroy();
  });
});

describe('useTopic readers share one state listener per driver', () => {
  it('100 readers add one driver state listener, hear status changes, and remove it when the last unmounts', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const stats = instrument(driver);
    const seen = new Array<string>(100).fill('');
    function Reader({ i }: { i: number }) {
      const { status, last } = useTopic<number>(topic(i));
      seen[i] = `${status}:${last?.data ?? '-'}`;
      return null;
    }
    const view = render(
      <SseProvider driver={driver}>
        {seen.map((_, i) => (
          <Reader key={i} i={i} />
        ))}
      </SseProvider>,
    );
    await tick(50);
    expect(stats.liveStateListeners).toBe(1);
    expect(new Set(seen)).toEqual(new Set(['open:-']));
    hubPublish(hub, topic(3), 3, 's-3');
    await tick(FRAME_MS);
    expect(seen[3]).toBe('open:3');
    hub.failNext(503, { method: 'GET' });
    hub.dropConnections();
    await tick(FRAME_MS);
    expect(new Set(seen.filter((_, i) => i !== 3))).toEqual(new Set(['reconnecting:-']));
    expect(seen[3]).toBe('reconnecting:3');
    view.unmount();
    expect(stats.liveStateListeners).toBe(0);
    driver.destroy();
  });
});

describe('useConnectionStatus re-renders only for what it selects or reads (issue 15.4)', () => {
  it('does not re-render per incoming event unless lastEventId is read or selected', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const renders = { selector: 0, object: 0, destructured: 0, cursor: 0 };
    let cursor: string | undefined;
    let picked: { status: string; failing: boolean } | undefined;
    function Selector() {
      useConnectionStatus((s) => s.status);
      renders.selector++;
      return null;
    }
    function ObjectSelector() {
      // A fresh object each time: compared field by field.
      picked = useConnectionStatus((s: ConnectionState) => ({ status: s.status, failing: s.error !== undefined }));
      renders.object++;
      return null;
    }
    function Destructured() {
      const { status } = useConnectionStatus();
      renders.destructured++;
      return <p>{status}</p>;
    }
    function Cursor() {
      cursor = useConnectionStatus().lastEventId;
      renders.cursor++;
      return null;
    }
    function Feed() {
      useTopic(topic('feed'));
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Feed />
        <Selector />
        <ObjectSelector />
        <Destructured />
        <Cursor />
      </SseProvider>,
    );
    await tick(50);
    expect(picked).toEqual({ status: 'open', failing: false });
    const before = { ...renders };
    for (let n = 0; n < 20; n++) {
      hubPublish(hub, topic('feed'), n, `e-${n}`);
      await tick(5);
    }
    expect(cursor).toBe('e-19');
    expect(renders.cursor - before.cursor).toBe(20);
    expect(renders.selector - before.selector).toBe(0);
    expect(renders.object - before.object).toBe(0);
    expect(renders.destructured - before.destructured).toBe(0);

    hub.failNext(503, { method: 'GET' });
    hub.dropConnections();
    await tick(10);
    expect(picked).toEqual({ status: 'reconnecting', failing: true });
    expect(renders.selector - before.selector).toBe(1);
    expect(renders.destructured - before.destructured).toBe(1);
    driver.destroy();
  });

  it('takes a custom equality, and passes reconnect to the selector', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 1000, maxDelay: 1000 } });
    let renders = 0;
    let reconnect: (() => void) | undefined;
    function Retries() {
      // Re-render only when retries crosses 2.
      useConnectionStatus(
        (s) => s.retries,
        (a, b) => a >= 2 === b >= 2,
      );
      reconnect = useConnectionStatus((s) => s.reconnect);
      renders++;
      return null;
    }
    function Feed() {
      useTopic(topic('feed'));
      return null;
    }
    const view = render(
      <SseProvider driver={driver}>
        <Feed />
        <Retries />
      </SseProvider>,
    );
    await tick(50);
    const before = renders;
    hub.failNext(503, { method: 'GET', count: 3 });
    hub.dropConnections();
    await tick(10);
    expect(driver.getSnapshot().retries).toBe(1);
    expect(renders - before).toBe(0);
    await tick(1000);
    expect(driver.getSnapshot().retries).toBe(2);
    expect(renders - before).toBe(1);
    const requests = hub.requests.length;
    act(() => reconnect?.());
    await tick(10);
    expect(hub.requests.length).toBeGreaterThan(requests);
    view.unmount();
    driver.destroy();
  });
});

describe('a changed hook argument renders the new subscription from its first render', () => {
  it('never shows the previous topic’s events after the topic changed', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const shown: string[] = [];
    let setName!: (name: string) => void;
    function Room() {
      const [name, set] = useState('a');
      setName = set;
      const { events } = useTopic<string>(topic(name));
      shown.push(`${name}:${events.map((e) => e.data).join(',')}`);
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Room />
      </SseProvider>,
    );
    await tick(50);
    hubPublish(hub, topic('a'), 'x', 'a-1');
    await tick(10);
    expect(shown.at(-1)).toBe('a:x');
    act(() => setName('b'));
    await tick(50);
    expect(shown.filter((s) => s.startsWith('b:')).every((s) => s === 'b:')).toBe(true);
    hubPublish(hub, topic('b'), 'y', 'b-1');
    await tick(10);
    expect(shown.at(-1)).toBe('b:y');
    driver.destroy();
  });
});
