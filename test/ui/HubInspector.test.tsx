import { act, screen, waitFor, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DriverEvent, SubscriptionInfo } from '../../src/index.js';
import { SseError } from '../../src/index.js';
import { useTopic } from '../../src/react/index.js';
import { HubInspector, InspectorStore } from '../../src/ui/index.js';
import { RTL_NAME, expectIsolated } from './bidi.js';
import { disposeHarnesses, renderWithHub } from './hubHarness.js';
import { manualClock } from './manualClock.js';

afterEach(disposeHarnesses);

function Subscribers() {
  useTopic('https://example.com/a');
  useTopic({ pattern: 'https://example.com/b/:id' }, { type: 'note' });
  return null;
}

function SameTwice() {
  useTopic('https://example.com/a');
  useTopic('https://example.com/a');
  return null;
}

describe('HubInspector', () => {
  it('lists live subscriptions with their matchers', async () => {
    renderWithHub(
      <>
        <Subscribers />
        <HubInspector />
      </>,
    );
    const region = await screen.findByRole('region', { name: 'Subscriptions (2)' });
    const rows = within(region).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').map((c) => c.textContent));
    expect(rows).toEqual([
      ['https://example.com/a', 'main', 'any', 'no', '1'],
      ['https://example.com/b/:id', 'main', 'note', 'no', '1'],
    ]);
    screen.getByRole('region', { name: 'Hub inspector' });
  });

  it('shows one row per distinct subscription, with how many hooks hold it', async () => {
    renderWithHub(
      <>
        <SameTwice />
        <Subscribers />
        <HubInspector />
      </>,
    );
    const region = await screen.findByRole('region', { name: 'Subscriptions (2)' });
    const rows = within(region).getAllByRole('row').slice(1).map((row) => within(row).getAllByRole('cell').map((c) => c.textContent));
    expect(rows[0]).toEqual(['https://example.com/a', 'main', 'any', 'no', '3']);
  });

  it('shows the tab role when given, and warns when the hub is served over HTTP/1.1', () => {
    const { container, rerender } = renderWithHub(<HubInspector tabs={{ role: 'follower', count: 3 }} httpVersion="http/1.1" />);
    const panel = container.querySelector('.sse-inspector') as HTMLElement;
    expect(panel.textContent).toContain('Follower tab · 3 tabs');
    expect(panel.dataset['tabRole']).toBe('follower');
    expect(panel.textContent).toMatch(/HTTP\/1\.1: browsers open at most six connections per origin/);
    rerender(<HubInspector httpVersion="h2" />);
    expect(panel.textContent).not.toMatch(/six connections/);
    expect(panel.textContent).not.toMatch(/tab ·/);
  });

  it('shows the hub url without secrets: userinfo and secret-looking or JWT-holding parameters are redacted', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';
    const url =
      `https://ada:s3cret@hub.example/.well-known/mercure?authorization=${jwt}&topic=https%3A%2F%2Fexample.com%2Fa` +
      `&access_token=tok-1&JWT=tok-2&api_key=tok-3&X-Amz-Signature=tok-4&passwd=tok-5&t=${jwt}&lang=en#id_token=tok-6`;
    const { container } = renderWithHub(<HubInspector />, {}, { url });
    const shown = screen.getByText('Hub').nextElementSibling?.textContent;
    expect(shown).toBe(
      'https://[redacted]@hub.example/.well-known/mercure?authorization=[redacted]&topic=https%3A%2F%2Fexample.com%2Fa' +
        '&access_token=[redacted]&JWT=[redacted]&api_key=[redacted]&X-Amz-Signature=[redacted]&passwd=[redacted]&t=[redacted]&lang=en#id_token=[redacted]',
    );
    // Nowhere in the panel, text or attributes.
    for (const secret of ['ada', 's3cret', jwt, 'tok-']) expect(container.innerHTML).not.toContain(secret);
  });

  it('records opens, drops and resumes on the timeline, and errors in the error list', async () => {
    const { hub, other, container } = renderWithHub(
      <>
        <Subscribers />
        <HubInspector />
      </>,
    );
    const timeline = () => screen.getByRole('list', { name: 'Connection timeline' });
    await waitFor(() => expect(timeline().textContent).toContain('stream open'));
    await act(() => other.publish('https://example.com/a', 1));
    await waitFor(() => expect(screen.getByText('Last event id').nextElementSibling?.textContent).toMatch(/^urn:uuid:/));
    act(() => hub.dropConnections());
    await waitFor(() => expect(timeline().textContent).toMatch(/resumed from urn:uuid:/));
    const kinds = within(timeline()).getAllByRole('listitem').map((li) => li.dataset['kind']);
    expect(kinds.slice(0, 4)).toEqual(['resume', 'retry', 'drop', 'open']);
    expect(within(timeline()).getAllByRole('listitem')[1]?.textContent).toMatch(/retry 1, resuming from urn:uuid:/);
    expect(within(timeline()).getAllByRole('listitem').at(-1)?.textContent).toContain('first connection');

    hub.failNext(401, { method: 'GET' });
    act(() => hub.dropConnections());
    const errors = await screen.findByRole('list', { name: /Recent errors/ });
    await waitFor(() => expect(errors.textContent).toContain('unauthorized'));
    expect(container.querySelector('.sse-inspector')?.getAttribute('data-state')).toBe('error');
  });

  it('times its timeline and publishes its counts on the driver\'s clock (platform), as the other components do', async () => {
    const T0 = Date.UTC(2025, 0, 1, 12);
    const { clock, advance } = manualClock(T0);
    const { other, driver } = renderWithHub(
      <>
        <Subscribers />
        <HubInspector formatTime={(time) => `t+${time - T0}`} />
      </>,
      {},
      { platform: clock },
    );
    const timeline = () => screen.getByRole('list', { name: 'Connection timeline' });
    // The driver's own timers (connection scheduling) run on that clock too.
    await act(async () => advance(50));
    await waitFor(() => expect(timeline().textContent).toContain('stream open'));
    const times = within(timeline()).getAllByRole('listitem').map((li) => Number(li.querySelector('time')?.textContent?.slice(2)));
    expect(times).toHaveLength(2);
    for (const time of times) expect(time).toBeGreaterThanOrEqual(0);
    for (const time of times) expect(time).toBeLessThanOrEqual(50);
    await act(() => other.publish('https://example.com/a', 1));
    await waitFor(() => expect(driver.getSnapshot().lastEventId).toMatch(/^urn:uuid:/));
    const updates = () => screen.getByText('Updates').nextElementSibling?.textContent;
    expect(updates()).toBe('0');
    // Published by the once-a-second tick, on that clock.
    act(() => advance(1000));
    expect(updates()).toBe('1');
  });

  it('does not re-render for each event: its counts and last event id come with the once-a-second tick', async () => {
    const { clock, advance } = manualClock(Date.UTC(2025, 0, 1, 12));
    let renders = 0;
    const { other, driver } = renderWithHub(
      <>
        <Subscribers />
        <Profiler id="inspector" onRender={() => renders++}>
          <HubInspector />
        </Profiler>
      </>,
      {},
      { platform: clock },
    );
    await act(async () => advance(50));
    await waitFor(() => expect(screen.getByRole('list', { name: 'Connection timeline' }).textContent).toContain('stream open'));
    act(() => advance(1000));
    const before = renders;
    for (let n = 1; n <= 5; n++) {
      const previous = driver.getSnapshot().lastEventId;
      await act(() => other.publish('https://example.com/a', n));
      await waitFor(() => expect(driver.getSnapshot().lastEventId).not.toBe(previous));
    }
    const last = driver.getSnapshot().lastEventId;
    expect(renders).toBe(before);
    act(() => advance(1000));
    expect(renders).toBe(before + 1);
    expect(screen.getByText('Updates').nextElementSibling?.textContent).toBe('5');
    expect(screen.getByText('Last event id').nextElementSibling?.textContent).toBe(last);
  });

  it('isolates connection names and details on the timeline for bidi: topics and event ids other users chose cannot reorder an entry', async () => {
    const topic = 'https://example.com/חדר-(1';
    function RawRoom() {
      useTopic(topic, { raw: true });
      return null;
    }
    renderWithHub(
      <>
        <RawRoom />
        <HubInspector />
      </>,
    );
    const timeline = () => screen.getByRole('list', { name: 'Connection timeline' });
    await waitFor(() => expect(timeline().textContent).toContain('stream open'));
    const connection = within(timeline()).getAllByText((_, element) => element?.classList.contains('sse-inspector__connection') === true)[0];
    expect(connection?.textContent).toContain(topic);
    expectIsolated(timeline(), connection?.textContent ?? '');
    // Details hold event ids ("resumed from …"), which publishers choose.
    expectIsolated(timeline(), 'stream open');
  });
});

describe('InspectorStore', () => {
  function fakeDriver() {
    let listener: ((event: DriverEvent) => void) | undefined;
    const subscriptions: SubscriptionInfo[] = [];
    return {
      emit: (event: DriverEvent) => listener?.(event),
      listening: () => listener !== undefined,
      subscriptions,
      driver: {
        on: (_type: 'event', fn: (event: DriverEvent) => void) => {
          listener = fn;
          return () => {
            listener = undefined;
          };
        },
        getSubscriptions: () => subscriptions,
      },
    };
  }

  it('computes the event rate over its window and publishes it once a second', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fake = fakeDriver();
    const store = new InspectorStore(fake.driver, { rateWindow: 10 });
    const changes = vi.fn();
    const off = store.subscribe(changes);
    for (let i = 0; i < 50; i++) fake.emit({ type: 'update', connection: 'main', id: `id-${i}`, eventType: 'message' });
    // Updates alone do not notify: a burst never re-renders the panel per update.
    expect(changes).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(store.getSnapshot()).toMatchObject({ rate: 50, updates: 50, lastEventId: 'id-49' });
    // Ten more per second for four seconds: (50 + 40) / 5 s.
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 10; i++) fake.emit({ type: 'update', connection: 'main', id: `more-${s}-${i}`, eventType: 'message' });
      vi.advanceTimersByTime(1000);
    }
    expect(store.getSnapshot()).toMatchObject({ rate: 18, updates: 90 });
    vi.advanceTimersByTime(10_000);
    expect(store.getSnapshot().rate).toBe(0);
    off();
    expect(fake.listening()).toBe(false);
    vi.useRealTimers();
  });

  it('labels attempts after the first as retries, counted since the last open', () => {
    const fake = fakeDriver();
    const store = new InspectorStore(fake.driver, { setInterval: () => 0, clearInterval: () => undefined });
    const off = store.subscribe(() => undefined);
    const connecting = (resumeFrom?: string) => fake.emit({ type: 'connecting', connection: 'main', resumeFrom, switching: false });
    connecting();
    connecting();
    connecting();
    fake.emit({ type: 'open', connection: 'main', resumedFrom: undefined, switching: false });
    connecting('id-7');
    const details = store.getSnapshot().timeline.map((e) => `${e.kind}: ${e.detail}`).reverse();
    expect(details).toEqual(['connecting: first connection', 'retry: retry 1', 'retry: retry 2', 'open: stream open', 'retry: retry 1, resuming from id-7']);
    off();
  });

  it('keeps per-second counts of the rate window for the sparkline', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fake = fakeDriver();
    const store = new InspectorStore(fake.driver, { rateWindow: 4 });
    const off = store.subscribe(() => undefined);
    for (const count of [3, 0, 5]) {
      for (let i = 0; i < count; i++) fake.emit({ type: 'update', connection: 'main', id: '', eventType: 'message' });
      vi.advanceTimersByTime(1000);
    }
    expect(store.getSnapshot().rateHistory).toEqual([3, 0, 5]);
    vi.advanceTimersByTime(1000);
    expect(store.getSnapshot().rateHistory).toEqual([0, 5, 0]);
    off();
    vi.useRealTimers();
  });

  it('bounds the timeline and the error list, newest first', () => {
    const fake = fakeDriver();
    const store = new InspectorStore(fake.driver, { timelineSize: 3, errorsSize: 2, setInterval: () => 0, clearInterval: () => undefined });
    const off = store.subscribe(() => undefined);
    for (let i = 0; i < 5; i++) fake.emit({ type: 'error', error: new SseError('network', `failure ${i}`) });
    const snapshot = store.getSnapshot();
    expect(snapshot.timeline.map((e) => e.detail)).toEqual(['network: failure 4', 'network: failure 3', 'network: failure 2']);
    expect(snapshot.errors.map((e) => e.error.message)).toEqual(['failure 4', 'failure 3']);
    off();
  });
});
