import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef, Profiler } from 'react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTopic } from '../../src/react/index.js';
import { ConnectionStatus } from '../../src/ui/index.js';
import { disposeHarnesses, renderWithHub } from './hubHarness.js';

const TOPIC = 'https://example.com/a';

function Subscriber() {
  useTopic(TOPIC);
  return null;
}

afterEach(disposeHarnesses);

// The real stylesheet, so that what is shown on hover and focus is what the CSS decides.
beforeAll(() => {
  const sheet = document.createElement('style');
  sheet.textContent = readFileSync(resolve(import.meta.dirname, '../../src/ui/styles.css'), 'utf8');
  document.head.append(sheet);
});

describe('ConnectionStatus', () => {
  it('shows the status as data-state and announces changes politely', async () => {
    const { hub, container } = renderWithHub(
      <>
        <ConnectionStatus />
        <Subscriber />
      </>,
    );
    const root = container.querySelector('.sse-status') as HTMLElement;
    const live = within(root).getByRole('status');
    expect(live.getAttribute('aria-live')).toBe('polite');
    await waitFor(() => expect(root.dataset['state']).toBe('open'));
    screen.getByRole('button', { name: 'Connected' });
    // Spoken once the status has held (timed in the next test).
    await waitFor(() => expect(live.textContent).toBe('Connection: Connected'));

    hub.failNext(503, { method: 'GET', count: 1000 });
    act(() => hub.dropConnections());
    await waitFor(() => expect(root.dataset['state']).toBe('reconnecting'));
    await waitFor(() => expect(Number(root.dataset['retries'])).toBeGreaterThan(0));
    expect(screen.getByRole('button').textContent).toMatch(/Reconnecting… · retry \d+/);
  });

  it('announces a status only once it has held for 2 s: a flapping connection updates the badge but is not spoken', async () => {
    vi.useFakeTimers();
    try {
      // Each reconnect waits 100 ms (no jitter): every drop is seen before it recovers.
      const { hub, container } = renderWithHub(
        <>
          <ConnectionStatus />
          <Subscriber />
        </>,
        {},
        { retry: { initialDelay: 200, maxDelay: 200 }, platform: { random: () => 0.5 } },
      );
      const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
      const root = container.querySelector('.sse-status') as HTMLElement;
      const live = within(root).getByRole('status');
      const badge = root.querySelector('.sse-status__label') as HTMLElement;
      await advance(100);
      expect(root.dataset['state']).toBe('open');
      await advance(2000);
      expect(live.textContent).toBe('Connection: Connected');

      const spoken: string[] = [];
      const observer = new MutationObserver(() => spoken.push(live.textContent ?? ''));
      observer.observe(live, { subtree: true, childList: true, characterData: true });
      // Drops that recover within a few hundred ms, again and again: the badge follows each one at once.
      for (let flap = 0; flap < 5; flap++) {
        act(() => hub.dropConnections());
        await advance(0);
        expect(root.dataset['state']).toBe('reconnecting');
        expect(badge.textContent).toBe('Reconnecting…');
        await advance(300);
        expect(root.dataset['state']).toBe('open');
        expect(badge.textContent).toBe('Connected');
      }
      await advance(5000);
      observer.disconnect();
      expect(spoken).toEqual([]);
      expect(live.textContent).toBe('Connection: Connected');

      // A drop that lasts is spoken once it has held for 2 s.
      hub.failNext(503, { method: 'GET', count: 1000 });
      act(() => hub.dropConnections());
      await advance(0);
      expect(root.dataset['state']).toBe('reconnecting');
      await advance(1900);
      expect(live.textContent).toBe('Connection: Connected');
      await advance(100);
      expect(live.textContent).toBe('Connection: Reconnecting…');
    } finally {
      vi.useRealTimers();
    }
  });

  it('describes retries and the last error, and pins the details open on press until Escape', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(
      <>
        <ConnectionStatus />
        <Subscriber />
      </>,
    );
    hub.failNext(401, { method: 'GET' });
    const badge = await screen.findByRole('button', { name: 'Connection error' });
    const root = container.querySelector('.sse-status') as HTMLElement;
    expect(root.dataset['error']).toBe('unauthorized');
    // Hidden until hover, focus or press; it still describes the badge.
    const details = screen.getByRole('tooltip', { hidden: true });
    expect(badge.getAttribute('aria-describedby')).toBe(details.id);
    expect(details.textContent).toMatch(/Retries: \d+/);
    expect(details.textContent).toMatch(/Last error \(unauthorized\): .*401/);
    await user.click(badge);
    expect(badge.getAttribute('aria-expanded')).toBe('true');
    expect(root.hasAttribute('data-open')).toBe(true);
    await user.keyboard('{Escape}');
    expect(badge.getAttribute('aria-expanded')).toBe('false');
    expect(root.hasAttribute('data-open')).toBe(false);
  });

  it('hides the details on Escape while focused or hovered, and shows them again on the next focus or hover', async () => {
    const user = userEvent.setup();
    const { container } = renderWithHub(
      <>
        <ConnectionStatus />
        <button type="button">Elsewhere</button>
        <Subscriber />
      </>,
    );
    const root = container.querySelector('.sse-status') as HTMLElement;
    const badge = await screen.findByRole('button', { name: 'Connected' });
    const shown = () => {
      // jsdom keeps computed styles across focus and hover changes; an attribute change refreshes them.
      root.toggleAttribute('data-refresh');
      root.toggleAttribute('data-refresh');
      return screen.queryByRole('tooltip') !== null;
    };
    expect(shown()).toBe(false);

    await user.tab();
    expect(document.activeElement).toBe(badge);
    expect(root.hasAttribute('data-dismissed')).toBe(false);
    expect(shown()).toBe(true);
    await user.keyboard('{Escape}');
    expect(root.hasAttribute('data-dismissed')).toBe(true);
    expect(shown()).toBe(false);
    // Focus stays on the badge; the details come back on the next focus.
    expect(document.activeElement).toBe(badge);
    await user.tab();
    expect(root.hasAttribute('data-dismissed')).toBe(false);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(badge);
    expect(shown()).toBe(true);

    // Escape after a press unpins and hides; a new press shows them again.
    await user.click(badge);
    expect(root.hasAttribute('data-open')).toBe(true);
    await user.keyboard('{Escape}');
    expect(root.hasAttribute('data-open')).toBe(false);
    expect(root.hasAttribute('data-dismissed')).toBe(true);
    await user.click(badge);
    expect(root.hasAttribute('data-dismissed')).toBe(false);
    expect(root.hasAttribute('data-open')).toBe(true);
    await user.click(badge);

    // Hover only, focus elsewhere: Escape still hides; leaving and coming back shows them again.
    const elsewhere = screen.getByRole('button', { name: 'Elsewhere' });
    elsewhere.focus();
    await user.hover(badge);
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(elsewhere);
    expect(root.hasAttribute('data-dismissed')).toBe(true);
    expect(shown()).toBe(false);
    await user.unhover(badge);
    expect(root.hasAttribute('data-dismissed')).toBe(false);
    await user.hover(badge);
    expect(shown()).toBe(true);
  });

  it('without the last event id, does not re-render for each event (it shows nothing that changes with them)', async () => {
    const renders = { withId: 0, withoutId: 0 };
    const { hub, driver, other } = renderWithHub(
      <>
        <Profiler id="withId" onRender={() => renders.withId++}>
          <ConnectionStatus />
        </Profiler>
        <Profiler id="withoutId" onRender={() => renders.withoutId++}>
          <ConnectionStatus showLastEventId={false} />
        </Profiler>
        <Subscriber />
      </>,
    );
    await hub.waitForConnections(1);
    await waitFor(() => expect(driver.getSnapshot().status).toBe('open'));
    const before = { ...renders };
    for (let n = 1; n <= 3; n++) {
      await act(() => other.publish(TOPIC, n));
      await waitFor(() => expect(driver.getSnapshot().lastEventId).toBe(hub.history.at(-1)?.id));
    }
    // The control: the details of the other badge follow each event.
    expect(renders.withId - before.withId).toBeGreaterThanOrEqual(3);
    expect(renders.withoutId).toBe(before.withoutId);
  });

  it('forwards its ref, merges className and takes custom labels', async () => {
    const ref = createRef<HTMLDivElement>();
    renderWithHub(
      <>
        <ConnectionStatus ref={ref} className="mine" labels={{ open: 'Online' }} />
        <Subscriber />
      </>,
    );
    expect([...(ref.current?.classList ?? [])]).toEqual(['sse-status', 'mine']);
    await screen.findByRole('button', { name: 'Online' });
  });

  it('offers Reconnect when the hub refused the subscriber, and reconnects on press', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(
      <>
        <ConnectionStatus />
        <Subscriber />
      </>,
    );
    hub.failNext(401, { method: 'GET' });
    const root = container.querySelector('.sse-status') as HTMLElement;
    await waitFor(() => expect(root.dataset['state']).toBe('error'));
    await user.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitFor(() => expect(root.dataset['state']).toBe('open'));
    expect(screen.queryByRole('button', { name: 'Reconnect' })).toBeNull();
  });

  it('keeps keyboard focus on the badge when Reconnect, which goes away, is pressed', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(
      <>
        <ConnectionStatus />
        <Subscriber />
      </>,
    );
    hub.failNext(401, { method: 'GET' });
    const root = container.querySelector('.sse-status') as HTMLElement;
    await waitFor(() => expect(root.dataset['state']).toBe('error'));
    screen.getByRole('button', { name: 'Reconnect' }).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(root.dataset['state']).toBe('open'));
    expect(document.activeElement).toBe(root.querySelector('.sse-status__badge'));
  });
});
