import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { useTopic } from '../../src/react/index.js';
import { PublishForm } from '../../src/ui/index.js';
import { disposeHarnesses, holdPublishes, renderWithHub } from './hubHarness.js';

const TOPIC = 'https://example.com/notes';

afterEach(disposeHarnesses);

function Subscriber() {
  useTopic(TOPIC);
  return null;
}

/** The accessible description of `element`: the text of the elements its `aria-describedby` names. */
/** A form (with or without `queue`) whose driver stopped on an error: the hub refused its subscribe request (401). */
async function stoppedOnError(queue: boolean) {
  const { hub, driver, container } = renderWithHub(
    <>
      <Subscriber />
      <PublishForm topic={TOPIC} queue={queue} />
    </>,
  );
  await hub.waitForConnections(1);
  const form = container.querySelector('form') as HTMLFormElement;
  const field = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
  hub.failNext(401, { method: 'GET' });
  act(() => hub.dropConnections());
  await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(true));
  await waitFor(() => expect(driver.getSnapshot().status).toBe('error'));
  return { hub, driver, form, field };
}

function description(element: HTMLElement): string {
  const ids = (element.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}

describe('PublishForm', () => {
  it('sends on Enter, inserts a newline on Shift+Enter, and clears after a successful publish', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    const field = screen.getByRole('textbox', { name: 'Message' });
    expect(field.getAttribute('aria-describedby')).toBeTruthy();
    await user.type(field, 'one{Shift>}{Enter}{/Shift}two');
    expect((field as HTMLTextAreaElement).value).toBe('one\ntwo');
    expect(hub.history).toHaveLength(0);
    await user.type(field, '{Enter}');
    await waitFor(() => expect((field as HTMLTextAreaElement).value).toBe(''));
    expect(hub.history).toHaveLength(1);
    expect(hub.history[0]?.data).toContain('one\\ntwo');
    expect(container.querySelector('form')?.dataset['state']).toBe('sent');
  });

  it('sent with the button, the message field gets focus back (the emptied form disables the button)', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.type(field, 'by button');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(container.querySelector('form')?.dataset['state']).toBe('sent'));
    expect(hub.history).toHaveLength(1);
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    expect(document.activeElement).toBe(field);
  });

  it('does not send on the Enter that confirms an input method composition (also as Safari reports it, after compositionend)', async () => {
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    const form = container.querySelector('form') as HTMLFormElement;
    const field = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(field, { target: { value: 'にほんご' } });
    fireEvent.keyDown(field, { key: 'Enter', isComposing: true });
    // Safari: the confirming Enter comes after compositionend, marked only by keyCode 229.
    fireEvent.keyDown(field, { key: 'Enter', keyCode: 229 });
    // A send would have turned the form pending at once.
    expect(form.dataset['state']).toBe('idle');
    expect((field as HTMLTextAreaElement).value).toBe('にほんご');
    fireEvent.keyDown(field, { key: 'Enter', keyCode: 13 });
    expect(form.dataset['state']).toBe('pending');
    await waitFor(() => expect(hub.history).toHaveLength(1));
  });

  it('does not send an empty message', async () => {
    const user = userEvent.setup();
    const { hub } = renderWithHub(<PublishForm topic={TOPIC} />);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), '   {Enter}');
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    expect(hub.history).toHaveLength(0);
  });

  it('validates JSON: explains the problem, sends nothing, and sends the parsed value once fixed', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} modeSwitch />);
    await user.click(screen.getByRole('radio', { name: 'JSON' }));
    expect(container.querySelector('form')?.dataset['mode']).toBe('json');
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.click(field);
    await user.paste('{"a": 1,');
    await user.keyboard('{Enter}');
    const problem = screen.getByRole('alert');
    expect(problem.textContent).toMatch(/^Not valid JSON: /);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toContain(problem.id);
    expect(container.querySelector('form')?.dataset['state']).toBe('invalid');
    expect(hub.history).toHaveLength(0);

    await user.keyboard('{Backspace}}');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(field.getAttribute('aria-invalid')).toBe('false');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(hub.history).toHaveLength(1));
    expect(hub.history[0]?.data).toContain('{"a":1}');
  });

  it('does not rewrite the JSON alert at every keystroke (a screen reader would speak each one); the next send updates it', async () => {
    const user = userEvent.setup();
    renderWithHub(<PublishForm topic={TOPIC} defaultMode="json" />);
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.click(field);
    await user.paste('{"a": 1,');
    await user.keyboard('{Enter}');
    const problem = screen.getByRole('alert');
    const said = problem.textContent;
    const rewrites: MutationRecord[] = [];
    const observer = new MutationObserver((records) => rewrites.push(...records));
    observer.observe(problem, { subtree: true, childList: true, characterData: true });
    // Still invalid after every keystroke, each time for another reason.
    await user.keyboard(' "b');
    await user.keyboard('"');
    observer.disconnect();
    expect(rewrites).toEqual([]);
    expect(screen.getByRole('alert')).toBe(problem);
    expect(problem.textContent).toBe(said);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    // Sent again: the alert says the current reason.
    await user.keyboard('{Enter}');
    expect(screen.getByRole('alert').textContent).toMatch(/^Not valid JSON: /);
    expect(screen.getByRole('alert').textContent).not.toBe(said);
  });

  it('shows a publish error as an alert, keeps the text, and clears the error on edit', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    hub.failNext(500, { method: 'POST' });
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.type(field, 'rejected{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^Not sent: the hub answered 500/);
    expect(alert.textContent).not.toMatch(/Publishing failed/i);
    // Tied to the field: back on it, a screen reader reads why the message was not sent (not the Retry label).
    expect(description(field)).toMatch(/ Not sent: the hub answered 500[^]*$/);
    expect(description(field)).not.toMatch(/Retry/);
    expect((field as HTMLTextAreaElement).value).toBe('rejected');
    expect(container.querySelector('form')?.dataset['state']).toBe('error');
    await user.type(field, '!');
    expect(screen.queryByRole('alert')).toBeNull();
    await user.type(field, '{Enter}');
    await waitFor(() => expect(hub.history).toHaveLength(1));
  });

  it('shows the pending state while the hub is slow', async () => {
    const user = userEvent.setup();
    let gate: ReturnType<typeof holdPublishes> | undefined;
    const { container } = renderWithHub(<PublishForm topic={TOPIC} />, {}, (hub) => {
      gate = holdPublishes(hub);
      return { fetch: gate.fetch };
    });
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'slow{Enter}');
    const form = container.querySelector('form') as HTMLFormElement;
    expect(form.dataset['state']).toBe('pending');
    expect(form.getAttribute('aria-busy')).toBe('true');
    screen.getByRole('button', { name: 'Sending…' });
    act(() => gate?.release());
    await waitFor(() => expect(form.dataset['state']).toBe('sent'));
  });

  it('sends a message once however often Enter or the button is pressed while it is being sent', async () => {
    const user = userEvent.setup();
    const published: string[] = [];
    let gate: ReturnType<typeof holdPublishes> | undefined;
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} onPublished={(id) => published.push(id)} />, {}, (mock) => {
      gate = holdPublishes(mock);
      return { fetch: gate.fetch };
    });
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.type(field, 'once{Enter}{Enter}');
    const button = screen.getByRole('button', { name: 'Sending…' });
    expect(button.getAttribute('aria-disabled')).toBe('true');
    await user.click(button);
    // The button keeps focus while it waits (aria-disabled, not disabled).
    expect(document.activeElement).toBe(button);
    await user.click(field);
    await user.keyboard('{Enter}');
    const form = container.querySelector('form') as HTMLFormElement;
    expect(form.dataset['state']).toBe('pending');
    act(() => gate?.release());
    await waitFor(() => expect(form.dataset['state']).toBe('sent'));
    expect(hub.history).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Send' }).hasAttribute('aria-disabled')).toBe(false);
  });

  it('queues a waiting message once however often it is pressed, and still queues a different one', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(
      <>
        <Subscriber />
        <PublishForm topic={TOPIC} queue />
      </>,
    );
    await hub.waitForConnections(1);
    hub.failNext(503, { method: 'GET', count: 1000 });
    act(() => hub.dropConnections());
    const form = container.querySelector('form') as HTMLFormElement;
    await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(true));
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.type(field, 'later{Enter}{Enter}');
    expect(form.dataset['state']).toBe('queued');
    const button = screen.getByRole('button', { name: 'Queued' });
    expect(button.getAttribute('aria-disabled')).toBe('true');
    await user.click(button);
    await user.type(field, ' too');
    expect(button.hasAttribute('aria-disabled')).toBe(false);
    await user.keyboard('{Enter}{Enter}');
    expect(hub.history).toHaveLength(0);

    hub.reset();
    await waitFor(() => expect(form.dataset['state']).toBe('sent'));
    await waitFor(() => expect(hub.history).toHaveLength(2));
    expect(hub.history.map((update) => update.data)).toEqual([expect.stringContaining('"later"'), expect.stringContaining('"later too"')]);
    expect((field as HTMLTextAreaElement).value).toBe('');
  });

  it('shows a message queued while first connecting as queued, not as sending', async () => {
    const user = userEvent.setup();
    let answer: (() => void) | undefined;
    const { hub, container } = renderWithHub(
      <>
        <Subscriber />
        <PublishForm topic={TOPIC} queue />
      </>,
      {},
      {
        // The subscription's first answer waits until `answer()`: the driver stays `connecting`.
        fetch: async (input, init) => {
          if ((init?.method ?? 'GET').toUpperCase() === 'GET') await new Promise<void>((resolve) => (answer = resolve));
          return hub.fetch(input, init);
        },
      },
    );
    const form = container.querySelector('form') as HTMLFormElement;
    await waitFor(() => expect(answer).toBeDefined());
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'early{Enter}');
    await waitFor(() => expect(form.dataset['state']).toBe('queued'));
    expect(screen.getByRole('button', { name: 'Queued' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sending…' })).toBeNull();
    act(() => answer?.());
    await waitFor(() => expect(form.dataset['state']).toBe('sent'));
    expect(hub.history).toHaveLength(1);
  });

  it('keeps every label of the send button in the button, only the current one shown and named', () => {
    renderWithHub(<PublishForm topic={TOPIC} />);
    const button = screen.getByRole('button', { name: 'Send' });
    const labels = [...button.querySelectorAll('.sse-publish__submit-label')];
    expect(labels.map((l) => l.textContent)).toEqual(['Send', 'Sending…', 'Queued']);
    expect(labels.map((l) => l.hasAttribute('data-active'))).toEqual([true, false, false]);
  });

  it('is disabled (aria-disabled, keeping focus) while the connection is down, unless queuing', async () => {
    const user = userEvent.setup();
    const { hub, container, rerender } = renderWithHub(
      <>
        <Subscriber />
        <PublishForm topic={TOPIC} />
      </>,
    );
    await hub.waitForConnections(1);
    hub.failNext(503, { method: 'GET', count: 1000 });
    act(() => hub.dropConnections());
    const form = container.querySelector('form') as HTMLFormElement;
    await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(true));
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'later');
    const send = screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    // Disabled for assistive technology, yet still focusable: a connection that drops while focus is on
    // the button does not throw focus out of the form.
    expect(send.getAttribute('aria-disabled')).toBe('true');
    expect(send.disabled).toBe(false);
    expect(screen.getByText(/^Offline: sending resumes/)).toBeTruthy();
    await user.keyboard('{Enter}');
    await user.click(send);
    expect(document.activeElement).toBe(send);
    expect(hub.history).toHaveLength(0);
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('later');

    rerender(
      <>
        <Subscriber />
        <PublishForm topic={TOPIC} queue />
      </>,
    );
    expect(screen.getByText(/^Offline: messages wait/)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByRole('button', { name: 'Send' }).hasAttribute('aria-disabled')).toBe(false);
  });

  it('says why nothing was sent when Enter or Send is pressed offline, keeps the text and focus, and says it again at each press', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(
      <>
        <Subscriber />
        <PublishForm topic={TOPIC} />
      </>,
    );
    await hub.waitForConnections(1);
    hub.failNext(503, { method: 'GET', count: 1000 });
    act(() => hub.dropConnections());
    const form = container.querySelector('form') as HTMLFormElement;
    await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(true));
    const field = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    await user.type(field, 'not now');
    expect(screen.queryByRole('alert')).toBeNull();
    await user.keyboard('{Enter}');
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('Not sent: the connection is offline.');
    expect(within(alert).queryByRole('button')).toBeNull();
    // Back on the field, a screen reader reads why.
    expect(description(field)).toMatch(/ Not sent: the connection is offline\.$/);
    expect(form.dataset['state']).toBe('error');
    expect(field.value).toBe('not now');
    expect(document.activeElement).toBe(field);
    // Pressed again (here with the button): a new node, spoken again; focus stays on the button.
    const said = alert.firstElementChild;
    const send = screen.getByRole('button', { name: 'Send' });
    await user.click(send);
    expect(document.activeElement).toBe(send);
    expect(screen.getByRole('alert').textContent).toBe('Not sent: the connection is offline.');
    expect(screen.getByRole('alert').firstElementChild).not.toBe(said);
    expect(hub.history).toHaveLength(0);
    expect(field.value).toBe('not now');

    // Gone once the connection is back: the kept text sends.
    hub.reset();
    await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(false));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(form.dataset['state']).toBe('idle');
    await user.click(field);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(hub.history).toHaveLength(1));
  });

  it('without queue, does not promise that sending resumes once the connection stopped on an error: it will not come back by itself', async () => {
    const { driver, form, field } = await stoppedOnError(false);
    expect(screen.queryByText(/sending resumes/)).toBeNull();
    expect(description(field)).toMatch(/^Connection stopped: nothing can be sent until it is reconnected\./);
    act(() => driver.reconnect());
    await waitFor(() => expect(form.hasAttribute('data-offline')).toBe(false));
    expect(description(field)).toMatch(/^Enter to send/);
  });

  it('with queue, does not promise that messages wait once the connection stopped on an error, or closed: they are tried at once', async () => {
    const user = userEvent.setup();
    // Refused subscriber: the driver stops retrying (status `error`), and the queue sends at once.
    const { hub, driver, form, field } = await stoppedOnError(true);
    expect(screen.queryByText(/messages wait/)).toBeNull();
    expect(description(field)).toMatch(/^Connection stopped: messages do not wait and may fail\./);
    await user.type(field, 'now{Enter}');
    await waitFor(() => expect(hub.history).toHaveLength(1));
    expect(form.dataset['state']).toBe('sent');

    act(() => driver.destroy());
    await waitFor(() => expect(driver.getSnapshot().status).toBe('closed'));
    expect(screen.queryByText(/messages wait/)).toBeNull();
    expect(description(field)).toMatch(/^Connection stopped: messages do not wait and may fail\./);
    await user.type(field, 'too late{Enter}');
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Not sent: /);
    expect(form.dataset['state']).toBe('error');
    expect(field.value).toBe('too late');
  });

  it('offers Retry on a failed publish, which sends the kept text again', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    hub.failNext(503, { method: 'POST' });
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'again{Enter}');
    const alert = await screen.findByRole('alert');
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(container.querySelector('form')?.dataset['state']).toBe('sent'));
    expect(hub.history).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('keeps keyboard focus in the form when Retry is used (the alert holding it goes away)', async () => {
    const user = userEvent.setup();
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} />);
    hub.failNext(503, { method: 'POST' });
    const field = screen.getByRole('textbox', { name: 'Message' });
    await user.type(field, 'again{Enter}');
    const alert = await screen.findByRole('alert');
    await user.tab();
    expect(document.activeElement).toBe(within(alert).getByRole('button', { name: 'Retry' }));
    await user.keyboard('{Enter}');
    await waitFor(() => expect(container.querySelector('form')?.dataset['state']).toBe('sent'));
    expect(hub.history).toHaveLength(1);
    expect(document.activeElement).toBe(field);
  });

  it('stays usable after toData throws: the error reaches the page, the text is kept, and the next press sends', async () => {
    let calls = 0;
    const toData = (text: unknown) => {
      if (++calls === 1) throw new Error('toData refused');
      return { text };
    };
    const { hub, container } = renderWithHub(<PublishForm topic={TOPIC} toData={toData} />);
    const field = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(field, { target: { value: 'hello' } });
    const thrown: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      thrown.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    try {
      fireEvent.keyDown(field, { key: 'Enter' });
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(thrown).toEqual([new Error('toData refused')]);
    const form = container.querySelector('form') as HTMLFormElement;
    expect(form.dataset['state']).toBe('idle');
    expect((field as HTMLTextAreaElement).value).toBe('hello');
    expect(screen.getByRole('button', { name: 'Send' }).hasAttribute('aria-disabled')).toBe(false);
    fireEvent.keyDown(field, { key: 'Enter' });
    await waitFor(() => expect(hub.history).toHaveLength(1));
    expect(hub.history[0]?.data).toContain('{"text":"hello"}');
  });

  it('shapes the payload with toData', async () => {
    const user = userEvent.setup();
    const { hub } = renderWithHub(<PublishForm topic={TOPIC} label="Say" toData={(text) => ({ author: 'Ada', text })} />);
    await user.type(screen.getByRole('textbox', { name: 'Say' }), 'hi{Enter}');
    await waitFor(() => expect(hub.history).toHaveLength(1));
    expect(hub.history[0]?.data).toContain('{"author":"Ada","text":"hi"}');
  });
});

