import type { HubRequest, HubResult, HubSink } from './types.js';
import { bodyCutOff, decodeUtf8 } from './validation.js';

/**
 * Reads a body stream as UTF-8 text, stopping at `limit` bytes.
 * @returns the text, or `null` when the body is larger than `limit`.
 * @throws HubError 400 when the body is not valid UTF-8, or when the stream fails before its end.
 */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string | null> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw bodyCutOff();
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decodeUtf8(bytes);
}

/** Adapts a WHATWG `Request` to the engine. */
export function webRequest(request: Request, clientAddress?: string): HubRequest {
  let consumed = false;
  return {
    method: request.method.toUpperCase(),
    url: request.url,
    header: (name) => request.headers.get(name),
    body: (limit) => {
      if (consumed) return Promise.resolve('');
      consumed = true;
      return readLimited(request.body, limit);
    },
    ...(clientAddress === undefined ? {} : { clientAddress }),
  };
}

/** A {@link HubSink} over a `ReadableStream` controller, told when its reader asks for more. */
export interface StreamSink extends HubSink {
  /** Call from the stream's `pull`: the reader has taken everything queued. */
  pulled(): void;
}

/**
 * A sink writing into a `ReadableStream` controller (whose queuing strategy counts bytes and
 * buffers nothing ahead: `highWaterMark` 0). `end('dropped')` errors the stream, which a `fetch`
 * reader sees as a network failure. It has drained when its reader has taken every queued byte.
 */
export function streamSink(controller: ReadableStreamDefaultController<Uint8Array>): StreamSink {
  let open = true;
  const waiters: (() => void)[] = [];
  const release = (): void => {
    for (const resolve of waiters.splice(0)) resolve();
  };
  const buffered = (): number => (open ? Math.max(0, -(controller.desiredSize ?? 0)) : 0);
  return {
    write(frame) {
      if (open) controller.enqueue(frame.bytes);
    },
    end(reason) {
      if (!open) return;
      open = false;
      release();
      if (reason === 'dropped') controller.error(new TypeError('network error: the hub dropped the connection'));
      else controller.close();
    },
    bufferedBytes: buffered,
    whenDrained: () => (buffered() === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    pulled: release,
  };
}

/** Turns an engine result into a WHATWG `Response` (subscriptions become streaming bodies). */
export function webResponse(result: HubResult): Response {
  if (result.kind === 'response') {
    const nullBody = result.status === 204 || result.status === 304;
    return new Response(nullBody ? null : result.body, { status: result.status, headers: result.headers });
  }
  const { connection } = result;
  let sink: StreamSink | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        sink = streamSink(controller);
        connection.attach(sink);
      },
      pull() {
        sink?.pulled();
      },
      cancel() {
        connection.close();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  );
  return new Response(body, { status: result.status, headers: result.headers });
}
