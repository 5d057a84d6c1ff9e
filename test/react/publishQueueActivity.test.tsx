import { act, cleanup, render } from '@testing-library/react';
import { Activity, StrictMode, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SseDriverOptions } from '../../src/core/types.js';
import type { MockHub } from '../../src/mock/index.js';
import { HIDDEN_QUEUE_MS } from '../../src/react/DriverOwner.js';
import { SseProvider, usePublish, useTopic, type UsePublishResult } from '../../src/react/index.js';
import { countRequests, createHub, driverOptions, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

type Mode = 'visible' | 'hidden';
const ROOM = topic('room');

/**
 * A provider that owns its driver (ids `urn:uuid:id-1`, `-2`, … from the platform seam), inside
 * `<Activity>`, with a reader and a queueing publisher of ROOM. Returns what shows or hides it, what
 * unmounts it for good, the latest `usePublish` results (queueing, and not), and `publish`, which
 * records how each publish settled (`n:id` or `n:code`).
 */
function renderQueued(hub: MockHub, extra: Partial<SseDriverOptions> = {}, strict = false) {
  let n = 0;
  const latest: { pub: UsePublishResult<number> | undefined; plain: UsePublishResult<number> | undefined } = { pub: undefined, plain: undefined };
  const settled: string[] = [];
  let setMode!: (mode: Mode) => void;
  let setMounted!: (mounted: boolean) => void;
  function Sender() {
    useTopic(ROOM);
    latest.pub = usePublish<number>(ROOM, { queue: true });
    latest.plain = usePublish<number>(ROOM);
    return null;
  }
  const options = driverOptions(hub, {
    retry: { initialDelay: 5000, maxDelay: 5000 },
    platform: { random: () => 1, events: undefined, uuid: () => `id-${++n}` },
    ...extra,
  });
  function App() {
    const [mode, set] = useState<Mode>('visible');
    const [mounted, mount] = useState(true);
    setMode = set;
    setMounted = mount;
    return mounted ? (
      <Activity mode={mode}>
        <SseProvider {...options}>
          <Sender />
        </SseProvider>
      </Activity>
    ) : null;
  }
  render(strict ? <StrictMode><App /></StrictMode> : <App />);
  return {
    latest,
    settled,
    show: (mode: Mode) => act(() => setMode(mode)),
    unmount: () => act(() => setMounted(false)),
    publish: (value: number, { queue = true } = {}) =>
      act(() => {
        (queue ? latest.pub : latest.plain)?.publishAsync(value).then(
          (id) => settled.push(`${value}:${id}`),
          (error: { code: string }) => settled.push(`${value}:${error.code}`),
        );
      }),
  };
}

/**
 * Asserts that the hub got `values`, in order, each once with its own id, and that each publish
 * resolved with the id the hub got (`settled`, in `n:id` form, may hold failures listed in `failed`).
 */
function expectSentOnce(hub: MockHub, settled: readonly string[], values: readonly number[], failed: readonly string[] = []): void {
  const got = delivered(hub);
  expect(got.map((entry) => Number(entry.split(':')[0]))).toEqual(values);
  expect(new Set(got.map((entry) => entry.slice(entry.indexOf(':') + 1))).size).toBe(values.length);
  expect(got.every((entry) => entry.includes(':urn:uuid:id-'))).toBe(true);
  expect([...settled].sort()).toEqual([...got, ...failed].sort());
}

/** The hub's updates on ROOM as `data:id`. */
function delivered(hub: MockHub): string[] {
  return hub.history.map((update) => `${String((JSON.parse(update.data) as { payload: unknown }).payload)}:${update.id}`);
}

/** Lets the provider's stream open, then cuts it: the driver is reconnecting, so publishes queue. */
async function openThenDrop(hub: MockHub): Promise<void> {
  await tick(50);
  hub.dropConnections();
  await tick(10);
}

/** A queued provider whose stream dropped, with publish 1 queued, then hidden by <Activity> for 3 s. */
async function hiddenWithOneQueued() {
  const hub = createHub();
  const view = renderQueued(hub);
  await openThenDrop(hub);
  view.publish(1);
  view.show('hidden');
  await tick(3000);
  return { hub, view };
}

describe('usePublish({ queue: true }) under a provider hidden by <Activity>', () => {
  it.each([false, true])('sends the publishes queued offline when the provider is shown again: in order, same ids, once (StrictMode: %s)', async (strict) => {
    const hub = createHub();
    const requests = countRequests(hub);
    const view = renderQueued(hub, {}, strict);
    await openThenDrop(hub);
    for (const n of [1, 2, 3]) view.publish(n);
    await tick(0);
    expect(view.latest.pub?.status).toBe('queued');
    view.show('hidden');
    await tick(60_000);
    // Before: 1, 2 and 3 were rejected with closed as the hidden provider destroyed its driver.
    expect(view.settled).toEqual([]);
    expect(requests.publishes).toBe(0);
    expect(view.latest.pub?.status).toBe('queued');
    view.show('visible');
    await tick(50);
    expectSentOnce(hub, view.settled, [1, 2, 3]);
    expect(requests.publishes).toBe(3);
    expect(view.latest.pub?.status).toBe('success');
    await tick(10_000);
    expect(requests.publishes).toBe(3);
  });

  it('queues a publish made while hidden, after those queued before, and sends it when shown; without queue it fails with closed', async () => {
    const { hub, view } = await hiddenWithOneQueued();
    view.publish(2);
    view.publish(3, { queue: false });
    await tick(1000);
    expect(view.settled).toEqual(['3:closed']);
    view.show('visible');
    await tick(50);
    expectSentOnce(hub, view.settled, [1, 2], ['3:closed']);
  });

  it('refuses a bad publish made while hidden at once, with the error the driver gives it, and sends the valid queue when shown', async () => {
    const { hub, view } = await hiddenWithOneQueued();
    let refused: unknown;
    act(() => {
      view.latest.pub?.publishAsync(undefined as unknown as number).catch((error: unknown) => (refused = error));
    });
    await tick(0);
    expect(refused).toMatchObject({ code: 'misuse', message: expect.stringContaining('publish() needs data') });
    view.publish(2);
    view.show('visible');
    await tick(50);
    expectSentOnce(hub, view.settled, [1, 2]);
  });

  it('keeps no wait for a show behind a bad queued publish refused while hidden, nor behind an aborted one', async () => {
    const hub = createHub();
    // The live waits for a show: each one the store keeps on the destroyed driver holds this timer.
    const waits = new Set<unknown>();
    const setTimeout = (callback: () => void, ms: number): unknown => {
      const handle = globalThis.setTimeout(() => {
        waits.delete(handle);
        callback();
      }, ms);
      if (ms === HIDDEN_QUEUE_MS) waits.add(handle);
      return handle;
    };
    const clearTimeout = (handle: unknown): void => {
      waits.delete(handle);
      globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
    };
    const view = renderQueued(hub, { platform: { random: () => 1, events: undefined, setTimeout, clearTimeout } });
    await openThenDrop(hub);
    view.show('hidden');
    await tick(3000);
    expect(waits.size).toBe(0);
    let refused: unknown;
    act(() => {
      view.latest.pub?.publishAsync(undefined as unknown as number).catch((error: unknown) => (refused = error));
    });
    await tick(0);
    expect(refused).toMatchObject({ code: 'misuse' });
    // Before: the refused publish left the store waiting for a show (and this timer running) with nothing queued.
    expect(waits.size).toBe(0);
    // A queued one waits, and stops waiting once it is aborted.
    const controller = new AbortController();
    act(() => void view.latest.pub?.publishAsync(1, { signal: controller.signal }).catch(() => undefined));
    await tick(0);
    expect(waits.size).toBe(1);
    act(() => controller.abort());
    await tick(0);
    expect(waits.size).toBe(0);
    view.show('visible');
    await tick(50);
    expect(hub.history).toEqual([]);
  });

  it('carries the queue across several hides and shows while the hub stays unreachable, then sends it once', async () => {
    const hub = createHub();
    const requests = countRequests(hub);
    // Nothing reaches the hub until `down` is cleared.
    let down = false;
    const view = renderQueued(hub, { fetch: (input, init) => (down ? Promise.reject(new TypeError('network down')) : hub.fetch(input, init)) });
    await tick(50);
    down = true;
    hub.dropConnections();
    await tick(10);
    view.publish(1);
    view.publish(2);
    for (let round = 0; round < 3; round++) {
      view.show('hidden');
      await tick(3000);
      view.show('visible');
      await tick(50);
      // Shown, the fresh driver is reconnecting: the queue waits for it.
      expect(view.latest.pub?.status).toBe('queued');
    }
    down = false;
    await tick(10_000);
    expectSentOnce(hub, view.settled, [1, 2]);
    expect(requests.publishes).toBe(2);
  });

  it('leaves the publish in flight at hide to its answer: delivered, it resolves once and is not sent again', async () => {
    const hub = createHub({ latency: 50 });
    const requests = countRequests(hub);
    const view = renderQueued(hub, { retry: { initialDelay: 500, maxDelay: 500 } });
    await tick(200);
    hub.dropConnections();
    await tick(10);
    for (const n of [1, 2, 3]) view.publish(n);
    // Reconnected: #1 is sent and answered, #2 is in flight when the provider is hidden.
    await tick(600);
    expect(view.settled.map((entry) => entry.split(':')[0])).toEqual(['1']);
    view.show('hidden');
    await tick(1000);
    // #2's answer came before the hidden provider destroyed its driver: delivered, and said so.
    expect(view.settled.map((entry) => entry.split(':')[0])).toEqual(['1', '2']);
    view.show('visible');
    await tick(1000);
    expectSentOnce(hub, view.settled, [1, 2, 3]);
    expect(requests.publishes).toBe(3);
  });

  it('fails the publish in flight at hide with closed when its answer takes longer than the provider waits, and carries the rest', async () => {
    const hub = createHub();
    const view = renderQueued(hub);
    await openThenDrop(hub);
    view.publish(1);
    view.publish(2);
    // The hub answers slowly from now on: #1 goes out when the connection opens, and is in flight at hide.
    hub.setLatency(3000);
    await tick(5000 + 3000 + 100);
    view.show('hidden');
    await tick(2500);
    // The provider waited 2 s for #1's answer, then destroyed its driver: its delivery is unknown.
    expect(view.settled).toEqual(['1:closed']);
    hub.setLatency(0);
    view.show('visible');
    await tick(6000);
    // The mock hub handles a request once its latency passed: the aborted #1 never reached it.
    expect(delivered(hub).map((entry) => entry.split(':')[0])).toEqual(['2']);
    expectSentOnce(hub, view.settled, [2], ['1:closed']);
  });

  it('removes a queued publish aborted while the provider is hidden, and sends the others when shown', async () => {
    const hub = createHub();
    const view = renderQueued(hub);
    await openThenDrop(hub);
    const controller = new AbortController();
    let aborted: unknown;
    act(() => {
      view.latest.pub?.publishAsync(1, { signal: controller.signal }).catch((error: unknown) => (aborted = error));
    });
    view.publish(2);
    view.show('hidden');
    await tick(1000);
    act(() => controller.abort());
    await tick(0);
    expect(aborted).toMatchObject({ code: 'aborted' });
    view.show('visible');
    await tick(50);
    expectSentOnce(hub, view.settled, [2]);
  });

  it('rejects the queue with closed when the provider unmounts for good, once a show can no longer come', async () => {
    const hub = createHub();
    const view = renderQueued(hub);
    await openThenDrop(hub);
    view.publish(1);
    view.publish(2);
    view.unmount();
    await tick(HIDDEN_QUEUE_MS - 100);
    expect(view.settled).toEqual([]);
    await tick(200);
    expect(view.settled).toEqual(['1:closed', '2:closed']);
    expect(hub.history).toEqual([]);
  });

  it('keeps no Node process alive while its queue waits for a show (the wait timer is unref\'d)', async () => {
    const hub = createHub();
    const waits: { hasRef?: () => boolean }[] = [];
    const setTimeout = (callback: () => void, ms: number): unknown => {
      const handle = globalThis.setTimeout(callback, ms);
      if (ms === HIDDEN_QUEUE_MS) waits.push(handle as { hasRef?: () => boolean });
      return handle;
    };
    const view = renderQueued(hub, { platform: { random: () => 1, events: undefined, setTimeout } });
    await openThenDrop(hub);
    view.publish(1);
    view.unmount();
    await tick(50);
    expect(waits).toHaveLength(1);
    expect(typeof waits[0]?.hasRef).toBe('function');
    expect(waits[0]?.hasRef?.()).toBe(false);
    await tick(HIDDEN_QUEUE_MS);
    expect(view.settled).toEqual(['1:closed']);
  });

  it('rejects the queue with closed when the provider stays hidden longer than it waits for a show', async () => {
    const hub = createHub();
    const view = renderQueued(hub);
    await openThenDrop(hub);
    view.publish(1);
    view.show('hidden');
    await tick(HIDDEN_QUEUE_MS + 100);
    expect(view.settled).toEqual(['1:closed']);
    view.show('visible');
    await tick(6000);
    expect(hub.history).toEqual([]);
  });
});
