import { act, cleanup, render, screen } from '@testing-library/react';
import { Activity, Profiler, useLayoutEffect, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { SseParseError } from '../../src/core/errors.js';
import { channels } from '../../src/core/protocols/channels.js';
import type { SseUpdate } from '../../src/core/types.js';
import { SseProvider, useTopic, type UseTopicOptions, type UseTopicResult } from '../../src/react/index.js';
import { countRequests, createDriver, createHub, hubPublish, instrument, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('useTopic', () => {
  it('re-renders only the one of 100 components whose topic got an update (behaviour 2)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const publisher = createDriver(hub);
    const renders = new Array<number>(100).fill(0);
    function Cell({ i }: { i: number }) {
      const { last } = useTopic<{ v: string }>(topic(i));
      renders[i] = (renders[i] ?? 0) + 1;
      return <span data-testid={`c${i}`}>{last?.data.v ?? '-'}</span>;
    }
    render(
      <SseProvider driver={driver}>
        {Array.from({ length: 100 }, (_, i) => (
          <Cell key={i} i={i} />
        ))}
      </SseProvider>,
    );
    await tick(50);
    expect(driver.getSnapshot().status).toBe('open');
    const before = [...renders];
    await act(async () => {
      await publisher.publish(topic(42), { v: 'hello' });
    });
    await tick(10);
    expect(screen.getByTestId('c42').textContent).toBe('hello');
    const delta = renders.map((n, i) => n - (before[i] ?? 0));
    expect(delta[42]).toBe(1);
    expect(delta.reduce((a, b) => a + b, 0)).toBe(1);
    driver.destroy();
    publisher.destroy();
  });

  it('delivers a burst of 1,000 updates in full and in order while React batches the renders (behaviour 2)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const seen: number[] = [];
    let commits = 0;
    let full: UseTopicResult<number> | undefined;
    let small: UseTopicResult<number> | undefined;
    function Burst() {
      full = useTopic<number>(topic('burst'), { buffer: 1000, onEvent: (u) => seen.push(u.data) });
      small = useTopic<number>(topic('burst'));
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Profiler id="burst" onRender={() => commits++}>
          <Burst />
        </Profiler>
      </SseProvider>,
    );
    await tick(50);
    const commitsBefore = commits;
    for (let n = 0; n < 1000; n++) hubPublish(hub, topic('burst'), n, `b-${n}`);
    await tick(10);
    const expected = Array.from({ length: 1000 }, (_, n) => n);
    expect(seen).toEqual(expected);
    expect(full?.events.map((e) => e.data)).toEqual(expected);
    expect(full?.dropped).toBe(0);
    expect(small?.events.map((e) => e.data)).toEqual(expected.slice(950));
    expect(small?.dropped).toBe(950);
    expect(small?.last?.data).toBe(999);
    expect(commits - commitsBefore).toBeLessThanOrEqual(3);
    driver.destroy();
  });

  it('keeps the last `buffer` updates in order across batches, counting what fell off', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    let result: UseTopicResult<number> | undefined;
    function Window() {
      result = useTopic<number>(topic('w'), { buffer: 5 });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Window />
      </SseProvider>,
    );
    await tick(50);
    let n = 0;
    // Batches of 3 (nothing cut), 4 (cuts from the kept window), 7 (cuts all kept and some new).
    for (const [size, events, dropped] of [
      [3, [0, 1, 2], 0],
      [4, [2, 3, 4, 5, 6], 2],
      [7, [9, 10, 11, 12, 13], 9],
    ] as const) {
      for (let i = 0; i < size; i++, n++) hubPublish(hub, topic('w'), n, `w-${n}`);
      await tick(50);
      expect(result?.events.map((e) => e.data)).toEqual(events);
      expect(result?.dropped).toBe(dropped);
      expect(result?.last?.data).toBe(n - 1);
    }
    driver.destroy();
  });

  it('resubscribes exactly once when enabled, type or matchers change, and never for a new onEvent or an equal inline array (behaviour 6)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const stats = instrument(driver);
    const requests = countRequests(hub);
    const calls: string[] = [];
    let setOptions!: (next: { names: string[]; type?: string; enabled: boolean; tag: string }) => void;
    function Sub() {
      const [o, set] = useState<{ names: string[]; type?: string; enabled: boolean; tag: string }>({ names: ['a', 'b'], enabled: true, tag: 'first' });
      setOptions = set;
      const options: UseTopicOptions = { enabled: o.enabled, onEvent: (u) => calls.push(`${o.tag}:${String(u.data)}`) };
      if (o.type !== undefined) options.type = o.type;
      const { status } = useTopic(o.names.map(topic), options);
      return <p data-testid="s">{status}</p>;
    }
    render(
      <SseProvider driver={driver}>
        <Sub />
      </SseProvider>,
    );
    await tick(50);
    expect(stats.subscribes).toBe(1);
    expect(requests.subscribes).toBe(1);

    // Same matchers in a new array (reordered), a new onEvent: nothing resubscribes, the new callback is used.
    act(() => setOptions({ names: ['b', 'a'], enabled: true, tag: 'second' }));
    await tick(50);
    expect(stats.subscribes).toBe(1);
    expect(requests.subscribes).toBe(1);
    hubPublish(hub, topic('a'), 1, 'u-1');
    await tick(10);
    expect(calls).toEqual(['second:1']);

    act(() => setOptions({ names: ['b', 'a', 'c'], enabled: true, tag: 'second' }));
    await tick(50);
    expect(stats.subscribes).toBe(2);
    expect(stats.liveSubscriptions).toBe(1);

    act(() => setOptions({ names: ['b', 'a', 'c'], type: 'note', enabled: true, tag: 'second' }));
    await tick(50);
    expect(stats.subscribes).toBe(3);
    expect(stats.liveSubscriptions).toBe(1);

    act(() => setOptions({ names: ['b', 'a', 'c'], type: 'note', enabled: false, tag: 'second' }));
    await tick(50);
    expect(stats.subscribes).toBe(3);
    expect(stats.liveSubscriptions).toBe(0);
    expect(screen.getByTestId('s').textContent).toBe('idle');
    expect(hub.connections).toBe(0);

    act(() => setOptions({ names: ['b', 'a', 'c'], type: 'note', enabled: true, tag: 'second' }));
    await tick(50);
    expect(stats.subscribes).toBe(4);
    expect(stats.liveSubscriptions).toBe(1);
    driver.destroy();
  });

  it('holds every update exactly once, in order, across a dropped connection and its automatic resume (behaviour 8)', async () => {
    const hub = createHub({ latency: 3 });
    const driver = createDriver(hub);
    let result: UseTopicResult<number> | undefined;
    function Feed() {
      result = useTopic<number>(topic('feed'), { buffer: 100 });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Feed />
      </SseProvider>,
    );
    await tick(50);
    expect(hub.connections).toBe(1);
    for (let n = 1; n <= 30; n++) {
      hubPublish(hub, topic('feed'), n, `f-${n}`);
      await tick(1);
      // Cut the stream while updates are in flight (latency 3 ms), then keep publishing while it is down.
      if (n === 12) hub.dropConnections();
    }
    expect(driver.getSnapshot().status).not.toBe('open');
    await tick(2000);
    expect(driver.getSnapshot().status).toBe('open');
    expect(result?.events.map((e) => e.data)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(result?.dropped).toBe(0);
    driver.destroy();
  });

  it('shows a since subscription hidden by <Activity> and shown again without its replay twice, and with what was published meanwhile', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    hubPublish(hub, topic('a'), 0, 'urn:uuid:origin');
    hubPublish(hub, topic('a'), 1, 'urn:uuid:one');
    let setMode!: (mode: 'visible' | 'hidden') => void;
    function Replay() {
      const { events } = useTopic<number>(topic('a'), { since: 'urn:uuid:origin' });
      return <p data-testid="replay">{events.map((e) => e.data).join(',')}</p>;
    }
    function App() {
      const [mode, set] = useState<'visible' | 'hidden'>('visible');
      setMode = set;
      return (
        <SseProvider driver={driver}>
          <Activity mode={mode}>
            <Replay />
          </Activity>
        </SseProvider>
      );
    }
    render(<App />);
    await tick(50);
    hubPublish(hub, topic('a'), 2, 'urn:uuid:two');
    await tick(50);
    expect(screen.getByTestId('replay').textContent).toBe('1,2');
    act(() => setMode('hidden'));
    await tick(50);
    hubPublish(hub, topic('a'), 3, 'urn:uuid:three');
    act(() => setMode('visible'));
    await tick(50);
    // Before the fix: 1,2,1,2,3 (the kept buffer, then the replay from `since` appended to it).
    expect(screen.getByTestId('replay').textContent).toBe('1,2,3');
    driver.destroy();
  });

  it('never hands an update of the previous matchers to the callbacks rendered for new ones', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    // The listener of each subscription, to deliver as the stream does: at any moment, here between a
    // commit (which made the new callbacks current) and its passive effects (which move the subscription).
    const listeners = new Map<string, (update: SseUpdate) => void>();
    const subscribe = driver.subscribe.bind(driver);
    driver.subscribe = ((matchers, listener, options) => {
      listeners.set(String(matchers), listener as (update: SseUpdate) => void);
      return subscribe(matchers, listener, options);
    }) as SseDriver['subscribe'];
    const seen: string[] = [];
    let setRoom!: (room: string) => void;
    function Room() {
      const [room, set] = useState('a');
      setRoom = set;
      const { events } = useTopic<string>(topic(room), { onEvent: (update) => seen.push(`${room} got ${update.topic}`) });
      useLayoutEffect(() => {
        if (room === 'b') listeners.get(topic('a'))?.({ topic: topic('a'), data: 'for a', id: 'a-2', type: 'message', sender: undefined });
      }, [room]);
      return <p data-testid="room">{events.map((e) => e.data).join(',')}</p>;
    }
    render(
      <SseProvider driver={driver}>
        <Room />
      </SseProvider>,
    );
    await tick(50);
    hubPublish(hub, topic('a'), 'for a', 'a-1');
    await tick(50);
    act(() => setRoom('b'));
    await tick(50);
    hubPublish(hub, topic('b'), 'for b', 'b-1');
    await tick(50);
    // Before the fix: ['a got …/a', 'b got …/a', 'b got …/b'] — room b's callback was handed room a's update.
    expect(seen).toEqual([`a got ${topic('a')}`, `b got ${topic('b')}`]);
    expect(screen.getByTestId('room').textContent).toBe('for b');
    driver.destroy();
  });

  it('reports a parse failure as an SseParseError in error, skips the update and keeps going', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { topicOf: () => topic('raw') });
    let result: UseTopicResult<{ ok: boolean }> | undefined;
    let text: UseTopicResult<string> | undefined;
    let custom: UseTopicResult<number> | undefined;
    function Raw() {
      result = useTopic<{ ok: boolean }>(topic('raw'), { raw: true });
      text = useTopic<string>(topic('raw'), { raw: true, parse: 'text' });
      custom = useTopic<number>(topic('raw'), {
        raw: true,
        parse: (data) => {
          const n = Number(data);
          if (Number.isNaN(n)) throw new Error('not a number');
          return n;
        },
      });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Raw />
      </SseProvider>,
    );
    await tick(50);
    hub.publish({ topic: topic('raw'), id: 'r-1', data: '{"ok":true}' });
    hub.publish({ topic: topic('raw'), id: 'r-2', data: 'not json' });
    hub.publish({ topic: topic('raw'), id: 'r-3', data: '12' });
    await tick(10);
    expect(result?.events.map((e) => e.data)).toEqual([{ ok: true }, 12]);
    expect(result?.error).toBeInstanceOf(SseParseError);
    expect(result?.error?.code).toBe('parse');
    expect(text?.events.map((e) => e.data)).toEqual(['{"ok":true}', 'not json', '12']);
    expect(text?.error).toBeUndefined();
    expect(custom?.events.map((e) => e.data)).toEqual([12]);
    expect(custom?.error?.code).toBe('parse');
    act(() => result?.clear());
    expect(result?.events).toEqual([]);
    expect(result?.last).toBeUndefined();
    expect(result?.error).toBeUndefined();
    driver.destroy();
  });

  it('types events, last and onEvent from the type argument, and exposes the update fields', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const updates: SseUpdate<{ text: string }>[] = [];
    let result: UseTopicResult<{ text: string }> | undefined;
    function Chat() {
      result = useTopic<{ text: string }>({ pattern: 'https://example.com/rooms/:id' }, { onEvent: (u) => updates.push(u) });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Chat />
      </SseProvider>,
    );
    await tick(50);
    hubPublish(hub, 'https://example.com/rooms/7', { text: 'hi' }, 'm-1', 'alice');
    hubPublish(hub, 'https://example.com/other/7', { text: 'no' }, 'm-2', 'alice');
    await tick(10);
    expect(result?.last).toMatchObject({ topic: 'https://example.com/rooms/7', id: 'm-1', type: 'message', sender: 'alice' });
    const text: string | undefined = result?.last?.data.text;
    expect(text).toBe('hi');
    expect(updates.map((u) => u.data.text)).toEqual(['hi']);
    driver.destroy();
  });

  it('throws a misuse error during render for an empty matcher list, unless disabled', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const hub = createHub();
    const driver = createDriver(hub);
    function Empty({ enabled }: { enabled: boolean }) {
      useTopic([], { enabled });
      return <p>ok</p>;
    }
    expect(() =>
      render(
        <SseProvider driver={driver}>
          <Empty enabled />
        </SseProvider>,
      ),
    ).toThrow(expect.objectContaining({ code: 'misuse' }));
    cleanup();
    render(
      <SseProvider driver={driver}>
        <Empty enabled={false} />
      </SseProvider>,
    );
    expect(screen.getByText('ok')).toBeTruthy();
    driver.destroy();
  });

  it("throws the server adapter's misuse error during render, and leaves no listener on the driver", () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // A channel server takes channel names only: a pattern is refused by its adapter.
    const driver = new SseDriver({ url: 'https://example.com/', server: channels(), fetch: () => new Promise<Response>(() => undefined), tabs: false });
    const stats = instrument(driver);
    function Pattern() {
      useTopic({ pattern: 'https://example.com/rooms/:id' });
      return <p>ok</p>;
    }
    let rendered = 0;
    function Counted() {
      rendered++;
      return <Pattern />;
    }
    expect(() =>
      render(
        <SseProvider driver={driver}>
          <Counted />
        </SseProvider>,
      ),
    ).toThrow(expect.objectContaining({ code: 'misuse', message: expect.stringMatching(/channels adapter/) }));
    expect(rendered).toBeGreaterThan(0);
    expect(stats).toMatchObject({ subscribes: 0, liveSubscriptions: 0, liveStateListeners: 0 });
    driver.destroy();
  });

  it('shows the current status when a component reads it for the first time, though it changed while no render read it', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    function Feed({ show }: { show: boolean }) {
      const feed = useTopic(topic(1));
      return <p>{show ? feed.status : feed.events.length}</p>;
    }
    const view = render(
      <SseProvider driver={driver}>
        <Feed show={false} />
      </SseProvider>,
    );
    await tick(50);
    expect(driver.getSnapshot().status).toBe('open');
    view.rerender(
      <SseProvider driver={driver}>
        <Feed show />
      </SseProvider>,
    );
    expect(screen.getByRole('paragraph').textContent).toBe('open');
    driver.destroy();
  });
});
