import { act, cleanup, render, screen } from '@testing-library/react';
import { Activity, StrictMode, useState, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import type { SseDriverOptions } from '../../src/core/types.js';
import { channels } from '../../src/core/protocols/channels.js';
import { sse } from '../../src/core/protocols/sse.js';
import { MockChannelServer, type MockHub, type MockHubOptions } from '../../src/mock/index.js';
import { REPLAY_OPEN_MS } from '../../src/react/TopicObserver.js';
import { SseProvider, useTopic, type UseTopicResult } from '../../src/react/index.js';
import { StreamHub, sse as sseFrame } from '../core/streamHub.js';
import { createDriver, createHub, hubPublish, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

type Mode = 'visible' | 'hidden';
const ROOM = topic('room');

/** A `useTopic` that stays visible: the shared stream stays open while the other one is hidden. */
function Lobby() {
  useTopic(topic('lobby'));
  return null;
}

/**
 * Renders `child` inside `<Activity>` under a provider of `driver` that stays visible, with `beside`
 * (visible) next to it; returns what hides and shows it.
 */
function renderInActivity(driver: SseDriver, child: ReactNode, { beside = null as ReactNode, strict = false } = {}): (mode: Mode) => void {
  let setMode!: (mode: Mode) => void;
  function App() {
    const [mode, set] = useState<Mode>('visible');
    setMode = set;
    return (
      <SseProvider driver={driver}>
        {beside}
        <Activity mode={mode}>{child}</Activity>
      </SseProvider>
    );
  }
  render(strict ? <StrictMode><App /></StrictMode> : <App />);
  return (mode) => act(() => setMode(mode));
}

/**
 * Renders a `useTopic(ROOM)` inside `<Activity>` under a provider that stays visible (with a visible
 * `useTopic` of another topic unless `alone`). Returns what shows or hides it, the latest result,
 * what `onEvent` saw, and the cursor of every stream the hub served (`undefined` for a stream that
 * started from now).
 */
function renderHideable(hub: MockHub, driver: SseDriver, { strict = false, alone = false } = {}) {
  const seen: number[] = [];
  const cursors: (string | undefined)[] = [];
  hub.on('connect', (info) => cursors.push(info.lastEventId));
  const latest: { result: UseTopicResult<number> | undefined; renders: number } = { result: undefined, renders: 0 };
  function Room() {
    const result = useTopic<number>(ROOM, { onEvent: (update) => seen.push(update.data) });
    latest.result = result;
    latest.renders++;
    return <p data-testid="room">{result.events.map((e) => e.data).join(',')}</p>;
  }
  const show = renderInActivity(driver, <Room />, { beside: alone ? null : <Lobby />, strict });
  return { seen, cursors, latest, text: () => screen.getByTestId('room').textContent, show };
}

/** A hub, a driver and the hideable app, after the room's first update (`urn:1`) arrived and the room was hidden. */
async function hiddenAfterFirst(options: { hub?: MockHubOptions; driver?: (hub: MockHub) => Partial<SseDriverOptions>; render?: Parameters<typeof renderHideable>[2] } = {}) {
  const hub = createHub(options.hub);
  const driver = createDriver(hub, options.driver?.(hub));
  const view = renderHideable(hub, driver, options.render);
  await tick(50);
  hubPublish(hub, ROOM, 1, 'urn:1');
  await tick(50);
  view.show('hidden');
  return { hub, driver, view };
}

/** `hub.fetch`, except that the first replay stream (a request with `last_event_id`) is cut after its first update. */
function cutFirstReplay(hub: MockHub): typeof hub.fetch {
  let cut = false;
  return async (input, init) => {
    const response = await hub.fetch(input, init);
    if (cut || !String(input).includes('last_event_id') || response.body === null) return response;
    cut = true;
    const reader = response.body.getReader();
    let delivered = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (delivered) {
          controller.error(new TypeError('network error: cut'));
          await reader.cancel();
          return;
        }
        const { value, done } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        delivered = new TextDecoder().decode(value).includes('data:');
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

describe('useTopic hidden by <Activity> inside a visible provider', () => {
  it('gets what was published while it was hidden, in order and once, then live updates, and leaves the replay stream', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const view = renderHideable(hub, driver);
    await tick(50);
    hubPublish(hub, ROOM, 1, 'urn:1');
    await tick(50);
    expect(view.text()).toBe('1');
    view.show('hidden');
    await tick(50);
    for (let n = 2; n <= 4; n++) hubPublish(hub, ROOM, n, `urn:${n}`);
    await tick(50);
    view.show('visible');
    await tick(50);
    // Before: "1" (it resubscribed from now and missed 2, 3 and 4 silently).
    expect(view.text()).toBe('1,2,3,4');
    expect(view.seen).toEqual([1, 2, 3, 4]);
    // The replay resumed from the last update it had.
    expect(view.cursors).toEqual([undefined, 'urn:1']);
    hubPublish(hub, ROOM, 5, 'urn:5');
    await tick(50);
    expect(view.text()).toBe('1,2,3,4,5');
    // The replay and the shared stream both delivered 5: in step, the replay stream is left.
    await tick(50);
    expect(hub.connections).toBe(1);
    hubPublish(hub, ROOM, 6, 'urn:6');
    await tick(50);
    expect(view.seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(view.latest.result?.error).toBeUndefined();
    driver.destroy();
  });

  it('holds what the shared stream delivers before the replay caught up, and shows it after the replay, once', async () => {
    const { hub, driver, view } = await hiddenAfterFirst();
    hubPublish(hub, ROOM, 2, 'urn:2');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    // The replay opens, but its history and every later update wait: the shared stream, older, gets 4 first.
    hub.pause();
    view.show('visible');
    await tick(50);
    hubPublish(hub, ROOM, 4, 'urn:4');
    await tick(50);
    hub.resume();
    await tick(50);
    expect(view.seen).toEqual([1, 2, 3, 4]);
    hubPublish(hub, ROOM, 5, 'urn:5');
    await tick(50);
    expect(view.text()).toBe('1,2,3,4,5');
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('catches up once when the shared stream dropped its matcher while it was hidden and resumes with it', async () => {
    const { hub, driver, view } = await hiddenAfterFirst();
    // Long enough for the shared stream to drop the hidden topic's matcher.
    await tick(35_000);
    expect(hub.subscriptions.map((s) => s.matchers.map((m) => m.match))).toEqual([[topic('lobby')]]);
    hubPublish(hub, ROOM, 2, 'urn:2');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    view.show('visible');
    await tick(50);
    // The shared stream's switch resumes from its own cursor (urn:1) and replays 2 and 3 too: shown once.
    expect(view.cursors.slice(-2).sort()).toEqual(['urn:1', 'urn:1']);
    expect(view.seen).toEqual([1, 2, 3]);
    await tick(1100);
    hubPublish(hub, ROOM, 4, 'urn:4');
    await tick(50);
    expect(view.seen).toEqual([1, 2, 3, 4]);
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('renders the catch-up of a burst published while it was hidden once, as it would render the burst live', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const view = renderHideable(hub, driver);
    await tick(50);
    hubPublish(hub, ROOM, 0, 'urn:0');
    await tick(50);
    view.show('hidden');
    for (let n = 1; n <= 20; n++) hubPublish(hub, ROOM, n, `urn:${n}`);
    await tick(50);
    view.show('visible');
    const shown = view.latest.renders;
    await tick(1100);
    expect(view.seen).toEqual(Array.from({ length: 21 }, (_, n) => n));
    expect(view.latest.renders - shown).toBe(1);
    driver.destroy();
  });

  it('goes back to the shared stream on a quiet topic once the replay has settled, also when it was the only subscription', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ render: { alone: true } });
    hubPublish(hub, ROOM, 2, 'urn:2');
    await tick(50);
    view.show('visible');
    await tick(50);
    expect(view.text()).toBe('1,2');
    expect(hub.connections).toBe(2);
    // Nothing else is published: the replay stream is left after a quiet second.
    await tick(1100);
    expect(hub.connections).toBe(1);
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    expect(view.seen).toEqual([1, 2, 3]);
    driver.destroy();
  });

  it('toggled 20 times with publishes in between: everything once and in order, connections bounded', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const view = renderHideable(hub, driver);
    await tick(50);
    let n = 0;
    let most = 0;
    for (let round = 0; round < 20; round++) {
      hubPublish(hub, ROOM, ++n, `urn:${n}`);
      await tick(5);
      view.show('hidden');
      hubPublish(hub, ROOM, ++n, `urn:${n}`);
      await tick(5);
      most = Math.max(most, hub.connections);
      view.show('visible');
      await tick(5);
      most = Math.max(most, hub.connections);
    }
    await tick(2000);
    const all = Array.from({ length: n }, (_, i) => i + 1);
    expect(view.seen).toEqual(all);
    expect(view.latest.result?.events.map((e) => e.data)).toEqual(all);
    // The shared stream and at most one replay at a time.
    expect(most).toBeLessThanOrEqual(2);
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('reports a gap in error when the hub history no longer holds the last update it had', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ hub: { history: 2 } });
    for (let n = 2; n <= 5; n++) hubPublish(hub, ROOM, n, `urn:${n}`);
    await tick(50);
    view.show('visible');
    await tick(50);
    // What the history still holds, and the loss told rather than silent.
    expect(view.text()).toBe('1,4,5');
    const error = view.latest.result?.error;
    expect(error?.code).toBe('gap');
    hubPublish(hub, ROOM, 6, 'urn:6');
    await tick(1100);
    expect(view.seen).toEqual([1, 4, 5, 6]);
    expect(hub.connections).toBe(1);
    // The gap stays until clear(), not only while the replay stream lived.
    expect(view.latest.result?.error).toBe(error);
    driver.destroy();
  });

  it('gives up, with a gap, on a replay stream that does not open, and shows what the shared stream held meanwhile', async () => {
    const { hub, driver, view } = await hiddenAfterFirst();
    hubPublish(hub, ROOM, 2, 'urn:2');
    await tick(50);
    // Every subscribe request fails from now on: the replay cannot open; the shared stream stays up.
    hub.failNext(503, { method: 'GET', count: 1000 });
    view.show('visible');
    await tick(50);
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(REPLAY_OPEN_MS - 200);
    // Held while the replay may still bring 2 before it.
    expect(view.seen).toEqual([1]);
    await tick(300);
    // Before: 3 held for as long as the replay could not open.
    expect(view.seen).toEqual([1, 3]);
    expect(view.latest.result?.error).toMatchObject({ code: 'gap', requested: 'urn:1', extent: 'unknown' });
    expect(hub.connections).toBe(1);
    hubPublish(hub, ROOM, 4, 'urn:4');
    await tick(50);
    expect(view.seen).toEqual([1, 3, 4]);
    driver.destroy();
  });

  it('waits for a replay stream cut before it caught up to reopen: the rest of its history follows, in order and once', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ driver: (hub) => ({ fetch: cutFirstReplay(hub), retry: { initialDelay: 3000, maxDelay: 3000 } }) });
    for (let n = 2; n <= 4; n++) hubPublish(hub, ROOM, n, `urn:${n}`);
    await tick(50);
    view.show('visible');
    await tick(50);
    expect(view.seen).toEqual([1, 2]);
    // The replay stream is down (3 s backoff): the shared stream's 5 waits.
    hubPublish(hub, ROOM, 5, 'urn:5');
    await tick(2000);
    // Before: the quiet second handed over to the shared stream, and 3 and 4 were lost without an error.
    expect(view.seen).toEqual([1, 2]);
    await tick(1500);
    expect(view.seen).toEqual([1, 2, 3, 4, 5]);
    expect(view.cursors.slice(1)).toEqual(['urn:1', 'urn:2']);
    expect(view.latest.result?.error).toBeUndefined();
    hubPublish(hub, ROOM, 6, 'urn:6');
    await tick(1100);
    expect(view.text()).toBe('1,2,3,4,5,6');
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('reports a gap when the history window is overtaken while its replay stream is down, and keeps the order', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ hub: { history: 3 }, driver: (hub) => ({ fetch: cutFirstReplay(hub), retry: { initialDelay: 3000, maxDelay: 3000 } }) });
    hubPublish(hub, ROOM, 2, 'urn:2');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    view.show('visible');
    await tick(50);
    expect(view.seen).toEqual([1, 2]);
    // While the replay stream is down, the history moves past 3 (the shared stream brings 4 to 7).
    for (let n = 4; n <= 7; n++) hubPublish(hub, ROOM, n, `urn:${n}`);
    await tick(4000);
    // Its reopen resumed from urn:2, which the hub no longer holds: 3 is lost, and told.
    expect(view.latest.result?.error).toMatchObject({ code: 'gap', requested: 'urn:2' });
    expect(view.seen).toEqual([1, 2, 4, 5, 6, 7]);
    expect(view.text()).toBe('1,2,4,5,6,7');
    await tick(1100);
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('does not show twice what an earlier catch-up replayed when the shared stream, back from a drop, replays it too', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ driver: () => ({ retry: { initialDelay: 3000, maxDelay: 3000 } }) });
    // The shared stream drops and waits out a 3 s backoff: it will resume from urn:1.
    hub.dropConnections();
    await tick(10);
    hubPublish(hub, ROOM, 2, 'urn:2');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    // The first catch-up's replay brings 2 and 3; hidden and shown again, the second one resumes from urn:3.
    view.show('visible');
    await tick(50);
    expect(view.seen).toEqual([1, 2, 3]);
    view.show('hidden');
    await tick(50);
    view.show('visible');
    await tick(3000);
    // Before: the shared stream's own replay (2 and 3, which it never delivered) was shown again.
    expect(view.seen).toEqual([1, 2, 3]);
    hubPublish(hub, ROOM, 4, 'urn:4');
    await tick(1100);
    expect(view.text()).toBe('1,2,3,4');
    expect(view.latest.result?.error).toBeUndefined();
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('reports no gap when the shared stream comes back in step while the replay stream is down', async () => {
    const { hub, driver, view } = await hiddenAfterFirst({ driver: (hub) => ({ fetch: cutFirstReplay(hub), retry: { initialDelay: 3000, maxDelay: 3000 } }) });
    // The shared stream drops: it resumes from urn:1 after 3 s.
    hub.dropConnections();
    await tick(10);
    hubPublish(hub, ROOM, 2, 'urn:2');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    // The replay stream brings 2, then is cut (it reopens after 3 s, after the shared stream).
    view.show('visible');
    await tick(50);
    expect(view.seen).toEqual([1, 2]);
    await tick(3000);
    // The shared stream replays 2 (in step) and 3: nothing was lost.
    expect(view.seen).toEqual([1, 2, 3]);
    // Before: in step while its replay stream was down, the catch-up reported a gap.
    expect(view.latest.result?.error).toBeUndefined();
    await tick(200);
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('goes on with updates without ids after catching up on a server that sends ids only sometimes', async () => {
    const server = new StreamHub();
    const driver = new SseDriver({ url: 'https://sse.example/stream', server: sse(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } });
    const seen: unknown[] = [];
    function Price() {
      useTopic('price', { raw: true, parse: 'text', onEvent: (update) => seen.push(update.data) });
      return null;
    }
    const send = (fields: { id?: string; data: string }) => {
      for (const stream of server.open) stream.push(sseFrame({ ...fields, event: 'price' }));
    };
    const show = renderInActivity(driver, <Price />);
    await tick(50);
    send({ id: 'p1', data: '1' });
    await tick(50);
    show('hidden');
    await tick(50);
    show('visible');
    await tick(50);
    // The replay stream and the shared stream both carry it now: each gets every update.
    expect(server.open).toHaveLength(2);
    send({ data: '2' });
    await tick(1100);
    expect(server.open).toHaveLength(1);
    send({ data: '3' });
    send({ data: '4' });
    send({ id: 'p5', data: '5' });
    await tick(50);
    // Before: an update without an id matched the one the replay gave (both ids empty), so the later
    // ones were dropped until an update with an id came.
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    driver.destroy();
  });

  it('resubscribes from now when it had received nothing before it was hidden', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const view = renderHideable(hub, driver);
    await tick(50);
    view.show('hidden');
    hubPublish(hub, ROOM, 1, 'urn:1');
    await tick(50);
    view.show('visible');
    await tick(50);
    hubPublish(hub, ROOM, 2, 'urn:2');
    await tick(50);
    expect(view.seen).toEqual([2]);
    expect(view.cursors).toEqual([undefined]);
    driver.destroy();
  });

  it('under StrictMode opens no replay stream for its double mount, and one when it was hidden', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const view = renderHideable(hub, driver, { strict: true });
    await tick(50);
    hubPublish(hub, ROOM, 1, 'urn:1');
    await tick(50);
    hubPublish(hub, ROOM, 2, 'urn:2');
    await tick(50);
    expect(view.cursors).toEqual([undefined]);
    view.show('hidden');
    hubPublish(hub, ROOM, 3, 'urn:3');
    await tick(50);
    // StrictMode runs the effects of a tree shown again twice: still one replay.
    view.show('visible');
    await tick(1100);
    expect(view.cursors).toEqual([undefined, 'urn:2']);
    expect(view.seen).toEqual([1, 2, 3]);
    expect(hub.connections).toBe(1);
    driver.destroy();
  });

  it('reports a possible loss in error on a server that keeps no history, and goes on from now', async () => {
    const server = new MockChannelServer();
    const options = { url: server.url, server: channels(), fetch: server.fetch, tabs: false, heartbeatTimeout: 0, platform: { random: () => 1, events: undefined } } as const;
    const driver = new SseDriver(options);
    const publisher = new SseDriver(options);
    const seen: unknown[] = [];
    let result: UseTopicResult | undefined;
    function Room() {
      result = useTopic('room', { onEvent: (update) => seen.push(update.data) });
      return null;
    }
    const show = renderInActivity(driver, <Room />);
    await tick(50);
    await act(() => publisher.publish('room', 1));
    await tick(50);
    show('hidden');
    await tick(50);
    await act(() => publisher.publish('room', 2));
    show('visible');
    await tick(50);
    expect(result?.error).toMatchObject({ code: 'gap', extent: 'unknown' });
    await act(() => publisher.publish('room', 3));
    await tick(50);
    // The channel server sends a channel's last value to a new subscriber (2); what came before it would be lost.
    expect(seen).toEqual([1, 2, 3]);
    driver.destroy();
    publisher.destroy();
  });
});
