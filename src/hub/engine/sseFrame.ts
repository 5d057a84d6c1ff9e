import type { HubUpdate, SseFrame } from './types.js';

const encoder = new TextEncoder();

/** An {@link SseFrame} whose bytes are encoded once, on first use. */
class Frame implements SseFrame {
  readonly text: string;
  #bytes: Uint8Array | undefined;
  constructor(text: string) {
    this.text = text;
  }
  get bytes(): Uint8Array {
    return (this.#bytes ??= encoder.encode(this.text));
  }
}

/**
 * Wraps raw event-stream text in a frame.
 * @param text - complete SSE text (ending with a blank line, or a comment line).
 */
export function createFrame(text: string): SseFrame {
  return new Frame(text);
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Serializes an update as one SSE event: `id:`, `event:`, `retry:`, then one `data:` line per
 * line of data (split on CRLF, CR and LF), so no field can be injected through the data.
 * Ids and types were validated before (no CR, LF or NUL).
 */
export function formatEvent(update: HubUpdate): string {
  let text = `id: ${update.id}\n`;
  if (update.type !== undefined) text += `event: ${update.type}\n`;
  if (update.retry !== undefined) text += `retry: ${update.retry}\n`;
  const data = update.data;
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    text += `data: ${data}\n`;
  } else {
    for (const line of data.split(LINE_BREAK)) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/** The heartbeat comment: keeps proxies from closing an idle stream and lets clients watch liveness. */
export const HEARTBEAT_FRAME: SseFrame = createFrame(':\n\n');
