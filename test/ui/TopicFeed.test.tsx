import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TopicFeed } from '../../src/ui/index.js';
import { disposeHarnesses, renderWithHub } from './hubHarness.js';
import { RTL_NAME, expectIsolated } from './bidi.js';
import { installScrollGeometry } from './storySupport.js';

const TOPIC = 'https://example.com/feed';

beforeAll(installScrollGeometry);
afterEach(disposeHarnesses);

async function publishAll(publish: (n: number) => Promise<unknown>, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await act(() => publish(n));
}

describe('TopicFeed', () => {
  it('is a log whose empty state follows the connection, then shows events newest last with arrival times', async () => {
    const { hub, other } = renderWithHub(<TopicFeed topic={TOPIC} />);
    const log = screen.getByRole('log', { name: `Events on ${TOPIC}` });
    expect(log.textContent).toBe('Connecting…');
    await hub.waitForConnections(1);
    await waitFor(() => expect(log.textContent).toBe('No messages yet.'));
    await publishAll((n) => other.publish(TOPIC, n === 1 ? 'hello' : n === 2 ? { text: 'two' } : { n }), 1, 3);
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(3));
    const items = within(log).getAllByRole('listitem');
    // Text as it is; data without text as indented JSON, in a <pre>.
    expect(items.map((li) => li.querySelector('.sse-feed__body')?.textContent)).toEqual(['hello', 'two', '{\n  "n": 3\n}']);
    expect(items[2]?.querySelector('pre.sse-feed__body')).not.toBeNull();
    const time = items[0]?.querySelector('time');
    expect(Number.isNaN(Date.parse(time?.getAttribute('datetime') ?? ''))).toBe(false);
    expect(log.closest('.sse-feed')?.hasAttribute('data-empty')).toBe(false);
  });

  it('isolates the author, topic and text of other users for bidi', async () => {
    const topic = 'https://example.com/חדר';
    const text = 'مرحبا \u202E(1';
    const { hub, other } = renderWithHub(<TopicFeed topic={topic} showTopic />);
    await hub.waitForConnections(1);
    await act(() => other.publish(topic, { author: RTL_NAME, text }));
    const log = screen.getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(1));
    expectIsolated(log, RTL_NAME);
    expectIsolated(log, topic);
    expectIsolated(log, text);
  });

  it('stays bounded by the buffer and marks events this client sent', async () => {
    const { hub, driver, other } = renderWithHub(<TopicFeed topic={TOPIC} options={{ buffer: 5 }} />);
    await hub.waitForConnections(1);
    await publishAll((n) => other.publish(TOPIC, { n }), 1, 7);
    await act(() => driver.publish(TOPIC, 'mine'));
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.textContent).toContain('mine'));
    const items = within(log).getAllByRole('listitem');
    expect(items).toHaveLength(5);
    expect(items[0]?.textContent).toContain('"n": 4');
    expect(items.at(-1)?.hasAttribute('data-self')).toBe(true);
    expect(items[0]?.hasAttribute('data-self')).toBe(false);
  });

  it('pauses auto-scroll while scrolled up, counts new events, and jumps back on the button', async () => {
    const user = userEvent.setup();
    const { hub, other, container } = renderWithHub(<TopicFeed topic={TOPIC} options={{ buffer: 100 }} />);
    const log = screen.getByRole('log');
    await hub.waitForConnections(1);
    await publishAll((n) => other.publish(TOPIC, { n }), 1, 10);
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(10));
    // Pinned: follows the newest event.
    expect(log.scrollTop).toBe(log.scrollHeight - log.clientHeight);

    log.scrollTop = 0;
    fireEvent.scroll(log);
    expect(container.querySelector('.sse-feed')?.hasAttribute('data-paused')).toBe(true);
    expect(screen.queryByRole('button', { name: /new event/ })).toBeNull();
    await publishAll((n) => other.publish(TOPIC, { n }), 11, 13);
    const jump = await screen.findByRole('button', { name: '3 new events' });
    expect(log.scrollTop).toBe(0);

    await user.click(jump);
    expect(screen.queryByRole('button', { name: /new event/ })).toBeNull();
    expect(log.scrollTop).toBe(log.scrollHeight - log.clientHeight);
    expect(document.activeElement).toBe(log);
    await publishAll((n) => other.publish(TOPIC, { n }), 14, 14);
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(14));
    expect(log.scrollTop).toBe(log.scrollHeight - log.clientHeight);
  });

  it('resumes following when the user scrolls back to the bottom by hand', async () => {
    const { hub, other } = renderWithHub(<TopicFeed topic={TOPIC} />);
    const log = screen.getByRole('log');
    await hub.waitForConnections(1);
    await publishAll((n) => other.publish(TOPIC, { n }), 1, 8);
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(8));
    log.scrollTop = 0;
    fireEvent.scroll(log);
    await publishAll((n) => other.publish(TOPIC, { n }), 9, 9);
    await screen.findByRole('button', { name: '1 new event' });
    log.scrollTop = log.scrollHeight;
    fireEvent.scroll(log);
    expect(screen.queryByRole('button', { name: /new event/ })).toBeNull();
  });

  it('does not speak every event: announces a throttled summary, and nothing while paused', async () => {
    vi.useFakeTimers();
    try {
      const { other, container } = renderWithHub(<TopicFeed topic={TOPIC} options={{ buffer: 100 }} announceInterval={3000} />);
      const feed = container.querySelector('.sse-feed') as HTMLElement;
      const log = within(feed).getByRole('log');
      expect(log.getAttribute('aria-live')).toBe('off');
      const status = within(feed).getByRole('status');
      expect(status.getAttribute('aria-live')).toBe('polite');
      expect(status.textContent).toBe('');
      const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
      const publish = async (from: number, to: number) => {
        for (let n = from; n <= to; n++) await act(() => other.publish(TOPIC, { n }));
        await advance(1);
      };
      await advance(100);

      // The first event after a quiet spell is announced at once ...
      await publish(1, 1);
      expect(within(log).getAllByRole('listitem')).toHaveLength(1);
      expect(status.textContent).toBe('1 new event');
      // ... what follows within the interval is summarised once at its end.
      await publish(2, 4);
      expect(within(log).getAllByRole('listitem')).toHaveLength(4);
      expect(status.textContent).toBe('1 new event');
      await advance(2000);
      expect(status.textContent).toBe('1 new event');
      await advance(1000);
      expect(status.textContent).toBe('3 new events');
      await publish(5, 7);
      await advance(2900);
      // The same summary again is a new announcement (a fresh node), not a silent no-op.
      const before = status.firstChild;
      expect(status.textContent).toBe('3 new events');
      await advance(200);
      expect(status.textContent).toBe('3 new events');
      expect(status.firstChild).not.toBe(before);

      // Paused: the "new events" button informs, the status stays silent, also after resuming.
      await advance(10_000);
      log.scrollTop = 0;
      fireEvent.scroll(log);
      const quiet = status.textContent;
      const node = status.firstChild;
      await publish(8, 12);
      await advance(10_000);
      screen.getByRole('button', { name: '5 new events' });
      expect(status.textContent).toBe(quiet);
      expect(status.firstChild).toBe(node);
      fireEvent.click(screen.getByRole('button', { name: '5 new events' }));
      await advance(10_000);
      expect(status.firstChild).toBe(node);
      await publish(13, 13);
      expect(status.textContent).toBe('1 new event');
    } finally {
      disposeHarnesses();
      vi.useRealTimers();
    }
  });

  it('shows the empty message, not "Connecting…", while the subscription is disabled', () => {
    renderWithHub(<TopicFeed topic={TOPIC} options={{ enabled: false }} />);
    expect(screen.getByRole('log').textContent).toBe('No messages yet.');
  });

  it('can leave announcements out', () => {
    const { container } = renderWithHub(<TopicFeed topic={TOPIC} announce={false} />);
    expect(within(container).queryByRole('status')).toBeNull();
  });

  it('says "Not authorized" with a Reconnect button when the hub refuses, and reconnects on press', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<TopicFeed topic={TOPIC} />);
    hub.failNext(401, { method: 'GET' });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Not authorized');
    expect(container.querySelector('.sse-feed')?.getAttribute('data-error')).toBe('unauthorized');
    expect(container.querySelector('.sse-feed')?.getAttribute('data-state')).toBe('error');
    await user.click(within(alert).getByRole('button', { name: 'Reconnect' }));
    await hub.waitForConnections(1);
    await waitFor(() => expect(screen.getByRole('log').textContent).toBe('No messages yet.'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says "Disconnected" without a Reconnect button once the driver is destroyed: nothing can reconnect it', async () => {
    const { hub, driver } = renderWithHub(<TopicFeed topic={TOPIC} />);
    await hub.waitForConnections(1);
    await waitFor(() => expect(screen.getByRole('log').textContent).toBe('No messages yet.'));
    act(() => driver.destroy());
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Disconnected');
    expect(within(alert).queryByRole('button')).toBeNull();
    // What the button called does nothing on a destroyed driver.
    driver.reconnect();
    await act(() => Promise.resolve());
    expect(hub.connections).toBe(0);
  });

  it('keeps keyboard focus in the feed when the empty-state Reconnect, which goes away, is pressed', async () => {
    const user = userEvent.setup();
    const { hub } = renderWithHub(<TopicFeed topic={TOPIC} />);
    hub.failNext(401, { method: 'GET' });
    const alert = await screen.findByRole('alert');
    within(alert).getByRole('button', { name: 'Reconnect' }).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(screen.getByRole('log').textContent).toBe('No messages yet.'));
    expect(document.activeElement).toBe(screen.getByRole('log'));
  });

  it('an update that could not be parsed is reported once: the alert can be dismissed and later updates do not bring it back', async () => {
    const user = userEvent.setup();
    const { hub } = renderWithHub(<TopicFeed topic={TOPIC} options={{ raw: true }} />);
    await hub.waitForConnections(1);
    act(() => {
      hub.publish({ topic: TOPIC, id: 'r-1', data: '{"text":"one"}' });
      hub.publish({ topic: TOPIC, id: 'r-2', data: 'not json' });
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('could not be parsed');
    await user.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('log'));
    act(() => {
      hub.publish({ topic: TOPIC, id: 'r-3', data: '{"text":"three"}' });
    });
    await waitFor(() => expect(within(screen.getByRole('log')).getAllByRole('listitem')).toHaveLength(2));
    expect(screen.queryByRole('alert')).toBeNull();
    // Another bad update is reported again.
    act(() => {
      hub.publish({ topic: TOPIC, id: 'r-4', data: 'still not json' });
    });
    expect((await screen.findByRole('alert')).textContent).toContain('r-4');
  });

  it('keeps the alert of a skipped update as it is while more bad updates come (a flood is not spoken update by update)', async () => {
    const { hub } = renderWithHub(<TopicFeed topic={TOPIC} options={{ raw: true }} />);
    await hub.waitForConnections(1);
    act(() => {
      hub.publish({ topic: TOPIC, id: 'r-1', data: '{"text":"one"}' });
      hub.publish({ topic: TOPIC, id: 'bad-1', data: 'not json' });
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('bad-1');
    const rewrites: MutationRecord[] = [];
    const observer = new MutationObserver((records) => rewrites.push(...records));
    observer.observe(alert, { subtree: true, childList: true, characterData: true });
    act(() => {
      for (let n = 2; n <= 20; n++) hub.publish({ topic: TOPIC, id: `bad-${n}`, data: `not json ${n}` });
      hub.publish({ topic: TOPIC, id: 'r-2', data: '{"text":"two"}' });
    });
    await waitFor(() => expect(within(screen.getByRole('log')).getAllByRole('listitem')).toHaveLength(2));
    observer.disconnect();
    expect(rewrites).toEqual([]);
    expect(screen.getByRole('alert')).toBe(alert);
    expect(alert.textContent).toContain('bad-1');
  });

  it('shows a payload nested too deep to print as JSON without breaking the feed', async () => {
    const depth = 100_000;
    const { hub } = renderWithHub(<TopicFeed topic={TOPIC} options={{ raw: true }} />);
    await hub.waitForConnections(1);
    act(() => {
      hub.publish({ topic: TOPIC, id: 'deep', data: `${'['.repeat(depth)}${']'.repeat(depth)}` });
      hub.publish({ topic: TOPIC, id: 'next', data: '{"text":"after it"}' });
    });
    const log = screen.getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(2));
    const bodies = within(log).getAllByRole('listitem').map((li) => li.querySelector('.sse-feed__body')?.textContent);
    // Too deep for JSON.stringify and for String(): shown as its kind.
    expect(bodies).toEqual(['[object Array]', 'after it']);
  });

  it('says "Reconnecting…" while the hub is down, without an alert', async () => {
    const { hub } = renderWithHub(<TopicFeed topic={TOPIC} />);
    hub.failNext(503, { method: 'GET', count: 1000 });
    const log = screen.getByRole('log');
    await waitFor(() => expect(log.textContent).toBe('Reconnecting…'));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows no error after a drop the stream recovers from, and an alert with Reconnect on a stop', async () => {
    const { hub, other, container } = renderWithHub(<TopicFeed topic={TOPIC} />);
    const feed = container.querySelector('.sse-feed') as HTMLElement;
    await hub.waitForConnections(1);
    await publishAll((n) => other.publish(TOPIC, { n }), 1, 2);
    await waitFor(() => expect(within(screen.getByRole('log')).getAllByRole('listitem')).toHaveLength(2));
    const alerts: number[] = [];
    const watch = new MutationObserver(() => alerts.push(feed.querySelectorAll('[role="alert"]').length));
    watch.observe(feed, { childList: true, subtree: true });
    // The stream comes back (the transient "reconnecting" may be too short to render on a busy machine).
    const reconnected = new Promise<void>((resolve) => {
      const off = hub.on('connect', () => {
        off();
        resolve();
      });
    });
    act(() => hub.dropConnections());
    await reconnected;
    await waitFor(() => expect(feed.dataset['state']).toBe('open'));
    watch.disconnect();
    expect(alerts.filter((n) => n > 0)).toEqual([]);

    hub.failNext(401, { method: 'GET' });
    act(() => hub.dropConnections());
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('button', { name: 'Reconnect' })).toBeTruthy();
    expect(within(screen.getByRole('log')).getAllByRole('listitem')).toHaveLength(2);
  });

  it('groups consecutive messages of one author under one header, with a colour per author', async () => {
    const { hub, other } = renderWithHub(<TopicFeed topic={TOPIC} />);
    await hub.waitForConnections(1);
    const messages = [
      { author: 'Ada', text: 'one' },
      { author: 'Ada', text: 'two' },
      { author: 'Grace', text: 'three' },
      { author: 'Ada', text: 'four' },
    ];
    await publishAll((n) => other.publish(TOPIC, messages[n - 1]), 1, 4);
    const log = screen.getByRole('log');
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(4));
    const rows = within(log).getAllByRole('listitem');
    expect(rows.map((li) => li.hasAttribute('data-grouped'))).toEqual([false, true, false, false]);
    expect(rows.map((li) => li.querySelector('.sse-feed__author')?.textContent)).toEqual(['Ada', 'Ada', 'Grace', 'Ada']);
    expect(rows[0]?.querySelector('.sse-feed__avatar')?.textContent).toBe('A');
    expect(rows[1]?.querySelector('.sse-feed__avatar')?.textContent).toBe('');
    expect(rows[0]?.dataset['hue']).toBe(rows[3]?.dataset['hue']);
    expect(rows[0]?.dataset['hue']).toMatch(/^[0-7]$/);
    // No seconds on every row: a compact time, the full date as its tooltip.
    const time = rows[0]?.querySelector('time');
    expect(time?.textContent).not.toMatch(/:\d\d:\d\d/);
    expect(time?.getAttribute('title')).toBeTruthy();
  });

  it('shows times relative while recent, kept current by the shared ticker without re-rendering the rows', async () => {
    // Saturday 28 November 2026, 09:41 local time.
    vi.useFakeTimers({ now: new Date(2026, 10, 28, 9, 41).getTime() });
    try {
      let rowRenders = 0;
      const { other, container } = renderWithHub(
        <TopicFeed
          topic={TOPIC}
          renderEvent={(event) => {
            rowRenders++;
            return (event.data as { text: string }).text;
          }}
        />,
      );
      const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
      await advance(100);
      await act(() => other.publish(TOPIC, { author: 'Ada', text: 'hello' }));
      await advance(1);
      const label = () => Array.from(container.querySelectorAll('time'), (time) => time.textContent);
      expect(label()).toEqual(['now']);
      const renders = rowRenders;
      await advance(60_000);
      expect(label()).toEqual(['1 minute ago']);
      await advance(60_000);
      expect(label()).toEqual(['2 minutes ago']);
      await advance(58 * 60_000);
      expect(label()).toEqual(['9:41 AM']);
      // The tooltip keeps the full date; the labels changed without the row rendering again.
      expect(container.querySelector('time')?.getAttribute('title')).toMatch(/2026/);
      expect(rowRenders).toBe(renders);
    } finally {
      disposeHarnesses();
      vi.useRealTimers();
    }
  });

  it('takes the time of an event from getTime for its label and for grouping', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 28, 9, 41).getTime() });
    try {
      const now = Date.now();
      const { other, container } = renderWithHub(
        <TopicFeed topic={TOPIC} getTime={(event) => (event.data as { sentAt?: number }).sentAt} />,
      );
      await act(() => vi.advanceTimersByTimeAsync(100));
      const messages = [
        { author: 'Ada', text: 'yesterday', sentAt: new Date(2026, 10, 27, 17, 40).getTime() },
        { author: 'Ada', text: 'a while ago', sentAt: now - 26 * 60_000 },
        { author: 'Ada', text: 'just after', sentAt: now - 25 * 60_000 },
        { author: 'Ada', text: 'no time of its own' },
      ];
      for (const message of messages) await act(() => other.publish(TOPIC, message));
      await act(() => vi.advanceTimersByTimeAsync(1));
      const rows = Array.from(container.querySelectorAll('li'));
      expect(rows.map((li) => li.querySelector('time')?.textContent)).toEqual(['Fri 5:40 PM', '26 minutes ago', '25 minutes ago', 'now']);
      // Grouped by when they were sent: far apart, a new header; within five minutes, one group.
      expect(rows.map((li) => li.hasAttribute('data-grouped'))).toEqual([false, false, true, false]);
    } finally {
      disposeHarnesses();
      vi.useRealTimers();
    }
  });

  it('shows an event whose getTime is not a usable time (out of range, a string) at its arrival, without breaking the feed', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 28, 9, 41).getTime() });
    try {
      const arrivals: number[] = [];
      const { other, container } = renderWithHub(
        <TopicFeed
          topic={TOPIC}
          getTime={(event) => (event.data as { sentAt?: number }).sentAt}
          onEvent={(event) => arrivals.push(event.receivedAt)}
        />,
      );
      await act(() => vi.advanceTimersByTimeAsync(100));
      // What another client may send: a time beyond what a Date holds, a string where a number was expected.
      const messages = [
        { author: 'Ada', text: 'far future', sentAt: 1e20 },
        { author: 'Bob', text: 'a string', sentAt: 'yesterday' },
        { author: 'Cy', text: 'fine', sentAt: Date.now() - 2 * 60_000 },
      ];
      for (const message of messages) await act(() => other.publish(TOPIC, message));
      await act(() => vi.advanceTimersByTimeAsync(1));
      const rows = Array.from(container.querySelectorAll('li'));
      expect(rows.map((li) => li.querySelector('.sse-feed__body')?.textContent)).toEqual(['far future', 'a string', 'fine']);
      expect(rows.map((li) => li.querySelector('time')?.textContent)).toEqual(['now', 'now', '2 minutes ago']);
      expect(rows[0]?.querySelector('time')?.getAttribute('datetime')).toBe(new Date(arrivals[0] as number).toISOString());
    } finally {
      disposeHarnesses();
      vi.useRealTimers();
    }
  });

  it('keeps one row per event when a server reuses event ids (restarted, counting from 1 again)', async () => {
    // A plain SSE server whose stream the test writes.
    const encoder = new TextEncoder();
    let write: (text: string) => void = () => {};
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          write = (text) => controller.enqueue(encoder.encode(text));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      renderWithHub(<TopicFeed topic={TOPIC} options={{ raw: true, parse: 'text' }} />, {}, { fetch });
      const log = screen.getByRole('log');
      await waitFor(() => expect(log.textContent).toBe('No messages yet.'));
      const texts = () => within(log).getAllByRole('listitem').map((li) => li.querySelector('.sse-feed__body')?.textContent);
      act(() => write('id: 1\ndata: first\n\nid: 2\ndata: second\n\n'));
      await waitFor(() => expect(texts()).toEqual(['first', 'second']));
      act(() => write('id: 1\ndata: after the restart\n\n'));
      await waitFor(() => expect(texts()).toEqual(['first', 'second', 'after the restart']));
      act(() => write('id: 2\ndata: and again\n\n'));
      await waitFor(() => expect(texts()).toEqual(['first', 'second', 'after the restart', 'and again']));
      expect(errors.mock.calls.filter((call) => String(call[0]).includes('same key'))).toEqual([]);
    } finally {
      errors.mockRestore();
    }
  });

  it('uses renderEvent and reports each event to onEvent with its arrival time', async () => {
    const seen: Array<{ data: unknown; receivedAt: number }> = [];
    const { hub, other } = renderWithHub(
      <TopicFeed
        topic={[TOPIC, 'https://example.com/other']}
        renderEvent={(event) => `#${(event.data as { n: number }).n}`}
        onEvent={(event) => seen.push({ data: event.data, receivedAt: event.receivedAt })}
      />,
    );
    await hub.waitForConnections(1);
    await publishAll((n) => other.publish(n === 1 ? TOPIC : 'https://example.com/other', { n }), 1, 2);
    const log = screen.getByRole('log', { name: `Events on ${TOPIC}, https://example.com/other` });
    await waitFor(() => expect(within(log).getAllByRole('listitem')).toHaveLength(2));
    expect(within(log).getAllByRole('listitem').map((li) => li.querySelector('.sse-feed__body')?.textContent)).toEqual(['#1', '#2']);
    // Several matchers: each row names its topic.
    expect(within(log).getAllByRole('listitem')[1]?.querySelector('.sse-feed__topic')?.textContent).toBe('https://example.com/other');
    expect(seen.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen.every((e) => typeof e.receivedAt === 'number')).toBe(true);
  });
});
