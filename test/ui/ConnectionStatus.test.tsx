import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useTopic } from '../../src/react/index.js';
import { ConnectionStatus } from '../../src/ui/index.js';
import { disposeHarnesses, renderWithHub } from './hubHarness.js';

const TOPIC = 'https://example.com/a';

function Subscriber() {
  useTopic(TOPIC);
  return null;
}

afterEach(disposeHarnesses);

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
    expect(live.textContent).toBe('Connection: Connected');
    screen.getByRole('button', { name: 'Connected' });

    hub.failNext(503, { method: 'GET', count: 1000 });
    act(() => hub.dropConnections());
    await waitFor(() => expect(root.dataset['state']).toBe('reconnecting'));
    expect(live.textContent).toBe('Connection: Reconnecting…');
    await waitFor(() => expect(Number(root.dataset['retries'])).toBeGreaterThan(0));
    expect(screen.getByRole('button').textContent).toMatch(/Reconnecting… · retry \d+/);
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
    const details = screen.getByRole('tooltip');
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
});
