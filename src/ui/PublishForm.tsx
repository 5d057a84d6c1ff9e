'use client';
import {
  forwardRef,
  useId,
  useRef,
  useState,
  type ChangeEvent,
  type FormEvent,
  type FormHTMLAttributes,
  type KeyboardEvent,
} from 'react';
import type { SseError } from '../index.js';
import { useConnectionStatus, usePublish, type UsePublishOptions } from '../react/index.js';
import { cx } from './cx.js';
import type { PublishFormMode, PublishFormState } from './types.js';

/** Props of {@link PublishForm}. */
export interface PublishFormProps extends Omit<FormHTMLAttributes<HTMLFormElement>, 'children' | 'onSubmit'> {
  /** The topic to publish to (or several, canonical first). */
  topic: string | readonly string[];
  /** Initial payload format (default `text`). */
  defaultMode?: PublishFormMode | undefined;
  /** Let the user switch between text and JSON (default `false`). */
  modeSwitch?: boolean | undefined;
  /** Label of the message field (default `Message`). */
  label?: string | undefined;
  /** Placeholder of the message field. */
  placeholder?: string | undefined;
  /** Text of the send button (default `Send`). */
  submitLabel?: string | undefined;
  /**
   * While the connection is down, wait for it and send then (bounded queue, idempotent ids) instead of
   * disabling the form. Messages wait only while the driver reconnects: once it stopped on an error (or
   * closed) they are tried at once. Passed to `usePublish` as `queue`. Several different messages may wait
   * at once; the same message is never queued twice.
   */
  queue?: boolean | undefined;
  /** Options of every publish (`type`, `private`, …). */
  publishOptions?: Omit<UsePublishOptions, 'signal' | 'id' | 'queue'> | undefined;
  /** Turns the typed value (text, or parsed JSON) into the payload to publish (default: as is). */
  toData?: ((value: unknown, mode: PublishFormMode) => unknown) | undefined;
  /** Called with the id of each successful publish. */
  onPublished?: ((id: string) => void) | undefined;
}

/** Statuses in which publishing cannot reach the hub right now. */
const OFFLINE = new Set(['reconnecting', 'error', 'closed']);

/** Why a publish failed, in the words the form shows after "Not sent:" (no repeated prefix, no developer hint). */
function failureReason(error: SseError): string {
  let text = error.message;
  if (error.hint && text.endsWith(error.hint)) text = text.slice(0, -error.hint.length).trimEnd();
  text = text.replace(/^publishing failed[:.]?\s*/i, '');
  return text === '' ? 'the hub could not be reached.' : text;
}

/** Identifies one message: the same text means another thing in text and in JSON mode. */
const messageKey = (mode: PublishFormMode, text: string): string => `${mode}:${text}`;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * A composer for a topic. Enter sends (not the Enter that confirms an input method composition),
 * Shift+Enter inserts a newline. In JSON mode the text is validated before sending and the error is shown
 * next to the field, as an alert that editing does not rewrite (it goes once the text parses; the next send
 * says why again). Shows the pending and error states of `usePublish`: "Sending…" while the hub has not
 * answered, "Queued" while a message waits for the connection (the hook's own status). A failed publish
 * shows why (also the field's description), with Retry (which moves focus back to the message field, as the
 * alert holding it goes away). While the connection is down the form is disabled (the button
 * `aria-disabled`, so that it keeps focus; a press says "Not sent: the connection is offline." and keeps the
 * text; the hint says whether the connection comes back by itself or stopped), unless `queue` is set, in which case messages wait while it reconnects (stopped on an error, or
 * closed, they are tried at once, and the hint says so). The button keeps its width whatever its label; a
 * message sent with it gives focus back to the field (the emptied form disables the button). A message is
 * sent once however often Enter or the button is pressed: while it is being sent the button is
 * `aria-disabled` (it keeps focus) and further presses do nothing — without `queue` until the send settles,
 * with `queue` for that same text (another text may join the queue).
 *
 * Renders a `form` with `data-state` (`idle`, `invalid`, `pending`, `queued`, `error`, `sent`),
 * `data-mode` and `data-offline`.
 *
 * ```tsx
 * <PublishForm topic="https://example.com/chat" toData={(text) => ({ author: 'Ada', text })} />
 * ```
 */
export const PublishForm = forwardRef<HTMLFormElement, PublishFormProps>(function PublishForm(
  {
    topic,
    defaultMode = 'text',
    modeSwitch = false,
    label = 'Message',
    placeholder,
    submitLabel = 'Send',
    queue = false,
    publishOptions,
    toData,
    onPublished,
    className,
    ...rest
  },
  ref,
) {
  const id = useId();
  const fieldRef = useRef<HTMLTextAreaElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);
  const [value, setValue] = useState('');
  const [mode, setMode] = useState<PublishFormMode>(defaultMode);
  const [invalid, setInvalid] = useState<string | undefined>(undefined);
  const [sent, setSent] = useState(false);
  // Presses refused while offline without `queue` (each one is said again); 0 once the form may send.
  const [refused, setRefused] = useState(0);
  // Messages whose publish has not settled. The ref answers a second press within the same frame; the
  // state mirrors it for rendering.
  const sendingRef = useRef<ReadonlySet<string>>(new Set());
  const [sending, setSending] = useState<ReadonlySet<string>>(sendingRef.current);
  const { status: connection } = useConnectionStatus();
  const { publishAsync, status, error, reset } = usePublish(topic, { ...publishOptions, queue });
  const offline = OFFLINE.has(connection);
  const pending = status === 'pending' || status === 'queued';
  // The hook knows whether a publish waits for the connection (also while it is first connecting).
  const queued = status === 'queued';
  const blocked = offline && !queue;
  if (refused > 0 && !blocked) setRefused(0);
  const track = (key: string, on: boolean) => {
    const next = new Set(sendingRef.current);
    if (on) next.add(key);
    else next.delete(key);
    sendingRef.current = next;
    setSending(next);
  };
  /** Whether a press now would send a duplicate (or overlap a send in progress, without `queue`). */
  const busyWith = (set: ReadonlySet<string>, key: string): boolean => (queue ? set.has(key) : pending || set.size > 0);
  const busy = busyWith(sending, messageKey(mode, value));

  const state: PublishFormState = invalid
    ? 'invalid'
    : pending
      ? queued
        ? 'queued'
        : 'pending'
      : status === 'error' || refused > 0
        ? 'error'
        : sent
          ? 'sent'
          : 'idle';

  const submit = () => {
    const key = messageKey(mode, value);
    if (value.trim() === '' || busyWith(sendingRef.current, key)) return;
    // Nothing is sent, and nothing changes by itself: say so (the text stays).
    if (blocked) return setRefused((n) => n + 1);
    let payload: unknown = value;
    if (mode === 'json') {
      const parsed = parseJson(value);
      if (!parsed.ok) {
        setInvalid(parsed.message);
        fieldRef.current?.focus();
        return;
      }
      payload = parsed.value;
    }
    // Shaped before the message counts as being sent: a `toData` that throws must not leave it so for good.
    const data = toData ? toData(payload, mode) : payload;
    const text = value;
    setSent(false);
    track(key, true);
    publishAsync(data).then(
      (publishedId) => {
        track(key, false);
        setSent(true);
        setValue((current) => (current === text ? '' : current));
        // The emptied form disables the button: focus left on it would be lost.
        if (submitRef.current !== null && submitRef.current.ownerDocument.activeElement === submitRef.current) fieldRef.current?.focus();
        onPublished?.(publishedId);
      },
      () => track(key, false),
    );
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    // The Enter that confirms an input method composition; Safari sends it after compositionend, as keyCode 229.
    if (event.nativeEvent.isComposing || event.nativeEvent.keyCode === 229) return;
    event.preventDefault();
    submit();
  };

  const onChange = (event: ChangeEvent<HTMLTextAreaElement>) => {
    setValue(event.target.value);
    setSent(false);
    setRefused(0);
    if (status === 'error') reset();
    // Cleared once fixed; while still invalid the alert keeps its text (rewritten at every keystroke, it
    // would be spoken at every keystroke) until the next send says why again.
    if (invalid !== undefined && (event.target.value.trim() === '' || parseJson(event.target.value).ok)) setInvalid(undefined);
  };

  const changeMode = (next: PublishFormMode) => {
    setMode(next);
    setInvalid(undefined);
  };

  // Only a reconnecting driver comes back by itself; the queue holds messages only then (stopped on an
  // error, or closed, it sends them at once).
  const hint = offline
    ? connection === 'reconnecting'
      ? blocked
        ? 'Offline: sending resumes when the connection is back.'
        : 'Offline: messages wait and are sent when the connection is back.'
      : blocked
        ? 'Connection stopped: nothing can be sent until it is reconnected.'
        : 'Connection stopped: messages do not wait and may fail.'
    : mode === 'json'
      ? 'JSON. Enter to send, Shift+Enter for a new line.'
      : 'Enter to send, Shift+Enter for a new line.';
  const reason = invalid ? undefined : refused > 0 ? 'the connection is offline.' : error && status === 'error' ? failureReason(error) : undefined;
  const failed = reason !== undefined;
  const describedBy = [`${id}-hint`, invalid ? `${id}-invalid` : undefined, failed ? `${id}-error` : undefined].filter(Boolean).join(' ');

  return (
    <form
      ref={ref}
      className={cx('sse-publish', className)}
      data-state={state}
      data-mode={mode}
      data-offline={offline ? '' : undefined}
      aria-busy={pending}
      noValidate
      onSubmit={onSubmit}
      {...rest}
    >
      <label className="sse-publish__label" htmlFor={`${id}-field`}>
        {label}
      </label>
      {modeSwitch ? (
        <fieldset className="sse-publish__modes">
          <legend className="sse-visually-hidden">Format</legend>
          {(['text', 'json'] as const).map((option) => (
            <label key={option} className="sse-publish__mode" data-checked={mode === option ? '' : undefined}>
              <input
                type="radio"
                name={`${id}-mode`}
                value={option}
                checked={mode === option}
                onChange={() => changeMode(option)}
              />
              {option === 'json' ? 'JSON' : 'Text'}
            </label>
          ))}
        </fieldset>
      ) : null}
      <textarea
        ref={fieldRef}
        id={`${id}-field`}
        className="sse-publish__field"
        value={value}
        placeholder={placeholder}
        rows={mode === 'json' ? 4 : 2}
        spellCheck={mode === 'text'}
        aria-invalid={invalid !== undefined}
        aria-describedby={describedBy}
        onChange={onChange}
        onKeyDown={onKeyDown}
      />
      <p id={`${id}-hint`} className="sse-publish__hint">
        {hint}
      </p>
      {invalid ? (
        <p id={`${id}-invalid`} className="sse-publish__invalid" role="alert">
          {invalid}
        </p>
      ) : null}
      {failed ? (
        <div className="sse-publish__error" role="alert">
          {/* A new node at each refused press: said again, not a silent no-op. */}
          <span key={refused} id={`${id}-error`}>{`Not sent: ${reason}`}</span>
          {value.trim() !== '' && !blocked ? (
            <button
              type="button"
              className="sse-button"
              onClick={() => {
                // The alert (and this button) goes away with the retry: keep focus in the form.
                fieldRef.current?.focus();
                submit();
              }}
            >
              Retry
            </button>
          ) : null}
        </div>
      ) : null}
      <button
        ref={submitRef}
        type="submit"
        className="sse-publish__submit"
        disabled={value.trim() === ''}
        // Not `disabled` while offline or sending: a button that stops being focusable throws focus out of the form.
        aria-disabled={busy || blocked ? true : undefined}
      >
        {/* Every label is laid out in one cell, so the button keeps the width of the longest. */}
        {(
          [
            ['idle', submitLabel],
            ['pending', 'Sending…'],
            ['queued', 'Queued'],
          ] as const
        ).map(([key, text]) => {
          const active = (pending ? (queued ? 'queued' : 'pending') : 'idle') === key;
          return (
            <span key={key} className="sse-publish__submit-label" data-active={active ? '' : undefined} aria-hidden={active ? undefined : true}>
              {text}
            </span>
          );
        })}
      </button>
      <span role="status" aria-live="polite" className="sse-visually-hidden">
        {state === 'sent' ? 'Sent.' : state === 'queued' ? 'Queued: sent when the connection is back.' : ''}
      </span>
    </form>
  );
});
