import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubRequest, HubSink, SseFrame } from '../engine/types.js';
import { MAX_TIMER_DELAY } from '../engine/defaults.js';
import { bodyCutOff, decodeUtf8 } from '../engine/validation.js';

/** `setImmediate` as loaded, so fake timers in a test process cannot stall real sockets. */
const realSetImmediate = globalThis.setImmediate;

const dirty: NodeSink[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  const sinks = dirty.splice(0);
  for (const sink of sinks) sink.flush();
}

/**
 * Writes frames to a `ServerResponse`. Frames dispatched during one turn of the event loop
 * (several publishes handled in the same I/O phase) are coalesced into one socket write per
 * connection, flushed in `setImmediate`.
 */
export class NodeSink implements HubSink {
  readonly #res: ServerResponse;
  readonly #lingerTimeout: number;
  #chunks: Uint8Array[] = [];
  #pendingBytes = 0;
  #queued = false;
  #open = true;

  /**
   * @param lingerTimeout - how long (ms) a stream ended cleanly may take to hand its last bytes
   * to a client before its socket is cut (`0`: as long as it takes). Once ended, the connection
   * is no longer counted nor watched by the engine: a peer that never reads would otherwise hold
   * the socket and its unsent bytes (up to `limits.bufferedBytes`) for good.
   */
  constructor(res: ServerResponse, lingerTimeout = 0) {
    this.#res = res;
    this.#lingerTimeout = lingerTimeout;
  }

  write(frame: SseFrame): void {
    if (!this.#open) return;
    const bytes = frame.bytes;
    this.#chunks.push(bytes);
    this.#pendingBytes += bytes.byteLength;
    if (this.#queued) return;
    this.#queued = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      realSetImmediate(flushAll);
    }
  }

  /** Sends what is pending. */
  flush(): void {
    this.#queued = false;
    const chunks = this.#chunks;
    if (chunks.length === 0 || !this.#open) return;
    this.#chunks = [];
    this.#pendingBytes = 0;
    this.#res.write(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks));
  }

  end(reason: 'closed' | 'dropped'): void {
    if (!this.#open) return;
    if (reason === 'closed') {
      this.flush();
      this.#open = false;
      this.#res.end();
      this.#cutIfUnread();
    } else {
      this.#open = false;
      this.#chunks = [];
      this.#res.destroy();
    }
  }

  /** Destroys the response if its last bytes are still unsent after the linger timeout. */
  #cutIfUnread(): void {
    const res = this.#res;
    if (this.#lingerTimeout <= 0 || res.writableFinished || res.destroyed) return;
    const timer = setTimeout(() => res.destroy(), Math.min(this.#lingerTimeout, MAX_TIMER_DELAY));
    timer.unref();
    const done = (): void => clearTimeout(timer);
    res.once('finish', done);
    res.once('close', done);
  }

  bufferedBytes(): number {
    return this.#res.writableLength + this.#pendingBytes;
  }

  whenDrained(): Promise<void> {
    this.flush();
    const res = this.#res;
    if (!this.#open || !res.writableNeedDrain || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

/** Flushes every pending write now (used at shutdown). */
export function flushPendingWrites(): void {
  flushAll();
}

/**
 * Reads a request body up to `limit` bytes.
 * @returns the text, or `null` when it is larger (the rest is discarded and the connection
 * will be closed after the response).
 * @throws HubError 400 (as a rejection) when the body is not valid UTF-8, or when the client hangs
 * up before its end.
 */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    // A client hanging up mid-body is a refused request, not a fault of the hub.
    const cutOff = (): void => {
      if (done) return;
      done = true;
      reject(bodyCutOff());
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      try {
        resolve(decodeUtf8(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    req.once('error', cutOff);
    req.once('close', () => {
      if (!req.complete) cutOff();
    });
  });
}

/**
 * The URL of a request target on the hub's `origin`: the origin form (`/path?query`), the
 * absolute form proxies send (`http://host/path?query`: its path and query), or `/` for the
 * asterisk form (`OPTIONS *`) and anything unreadable.
 */
function requestUrl(target: string, origin: string): string {
  if (target.startsWith('/')) return `${origin}${target}`;
  try {
    const url = new URL(target);
    if (url.protocol === 'http:' || url.protocol === 'https:') return `${origin}${url.pathname}${url.search}`;
  } catch {
    // Not an absolute URL either.
  }
  return `${origin}/`;
}

/** Adapts a Node request to the engine. `origin` is the hub's public origin. */
export function nodeRequest(req: IncomingMessage, origin: string): HubRequest {
  let consumed = false;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url: requestUrl(req.url ?? '/', origin),
    header(name) {
      const value = req.headers[name];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body(limit) {
      if (consumed) return Promise.resolve('');
      consumed = true;
      return readNodeBody(req, limit);
    },
    clientAddress: req.socket.remoteAddress ?? 'unknown',
  };
}
