import { generateKeyPairSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_PUBLISHER_KEY, MemoryTransport, createHub } from '../../src/hub/index.js';
import type { CreateHubOptions, HubLogger, NodeHub } from '../../src/hub/index.js';
import { SEED_TOKEN, TEST_KEY, openStream, publish, sign, subscribeUrl, v1Claims } from './helpers.js';
import type { TestStream } from './helpers.js';
import { freePort } from './redis/redisServer.js';

function captureLog(): HubLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (l) => lines.push(`info ${l}`),
    warn: (l) => lines.push(`warn ${l}`),
    error: (l) => lines.push(`error ${l}`),
  };
}

describe('Node hub (createHub)', () => {
  const hubs: NodeHub[] = [];
  const streams: TestStream[] = [];
  const start = async (options: CreateHubOptions = {}): Promise<NodeHub> => {
    const hub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY, ...options });
    hubs.push(hub);
    return hub;
  };
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    for (const hub of hubs.splice(0)) await hub.close();
  });

  it('listens on a free port of 127.0.0.1 at /.well-known/mercure', async () => {
    const hub = await start();
    expect(hub.port).toBeGreaterThan(0);
    expect(hub.url).toBe(`http://127.0.0.1:${hub.port}/.well-known/mercure`);
  });

  it('accepts the seed snippet token with its development defaults, and warns loudly about the key', async () => {
    const log = captureLog();
    const hub = await createHub({ port: 0, log });
    hubs.push(hub);
    expect(log.lines.filter((l) => l.startsWith('warn') && l.includes('DEVELOPMENT KEY'))).toHaveLength(1);
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['topic', 'https://example.com/peers/{id}']]));
    streams.push(stream);
    const res = await publish(fetch, hub.url, [['topic', 'https://example.com/peers/1'], ['data', 'hello']], SEED_TOKEN);
    expect(res.status).toBe(200);
    expect((await stream.next()).data).toBe('hello');
    expect(DEV_PUBLISHER_KEY).toBe('!ChangeThisMercureHubJWTSecretKey!');
  });

  it('serves a status page at / and 404 elsewhere', async () => {
    const hub = await start();
    const page = await fetch(new URL('/', hub.url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<h1>sse-kit hub</h1>');
    expect(html).toContain(hub.url);
    expect((await fetch(new URL('/nope', hub.url))).status).toBe(404);
    expect((await fetch(hub.url, { method: 'DELETE' })).status).toBe(405);
  });

  it('serves protected resource metadata', async () => {
    const hub = await start({ audience: 'https://hub.example' });
    const res = await fetch(new URL('/.well-known/oauth-protected-resource/.well-known/mercure', hub.url));
    expect(await res.json()).toEqual({
      resource: 'https://hub.example',
      bearer_methods_supported: ['header'],
      authorization_details_types_supported: ['https://mercure.rocks/authorization-detail'],
      mercure_cookie: true,
      mercure_version: 8,
    });
  });

  describe('CORS', () => {
    it('allows any origin without credentials by default, and exposes Link and the cursor headers', async () => {
      const hub = await start();
      const res = await fetch(subscribeUrl(hub.url, [['match', 'a'], ['last_event_id', 'earliest']]), { headers: { origin: 'https://app.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-expose-headers')).toMatch(/Link.*Mercure-Last-Event-ID.*Last-Event-ID/);
      expect(res.headers.get('link')).toBe(`<${hub.url}>; rel="mercure"`);
      await res.body?.cancel();
    });

    it('answers preflights and reflects only allowed origins, with credentials', async () => {
      const hub = await start({ cors: { origins: ['https://app.example'], credentials: true } });
      const preflight = await fetch(hub.url, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      const denied = await fetch(hub.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('refuses credentials with the * origin', async () => {
      await expect(createHub({ port: 0, log: false, cors: { origins: '*', credentials: true } })).rejects.toThrow(/credentials/);
    });

    it('refuses listed origins that could never match a browser Origin, with the fix', async () => {
      const refused = (origins: string[]): Promise<NodeHub> => createHub({ port: 0, log: false, cors: { origins } });
      await expect(refused(['https://app.example/'])).rejects.toThrow('CORS: "https://app.example/" is not an origin as browsers send it (scheme://host[:port], no path); use "https://app.example".');
      await expect(refused(['https://app.example:443'])).rejects.toThrow(/use "https:\/\/app\.example"/);
      await expect(refused(['HTTPS://App.Example'])).rejects.toThrow(/use "https:\/\/app\.example"/);
      await expect(refused(['*', 'https://app.example'])).rejects.toThrow(/"\*" is not an origin .* or \* alone for any/);
      await expect(refused(['app.example'])).rejects.toThrow(/"app\.example" is not an origin/);
      const hub = await start({ cors: { origins: ['https://app.example', 'http://localhost:5173'] } });
      const res = await fetch(hub.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    });
  });

  it('logs one line per connection and per rejected request (with why), nothing for publishes', async () => {
    const log = captureLog();
    const hub = await start({ log });
    log.lines.length = 0;
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'a']]));
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    await publish(fetch, hub.url, [['topic', 'a']], token);
    await stream.next();
    await publish(fetch, hub.url, [['topic', 'a'], ['type', 'mercure']], token);
    stream.close();
    await expect.poll(() => log.lines.length).toBe(3);
    expect(log.lines[0]).toMatch(/^info connect #\d+ subscriber=urn:uuid:\S+ client=127\.0\.0\.1 matchers=1 \[Exact:a\]$/);
    expect(log.lines[1]).toMatch(/^warn rejected POST \/\.well-known\/mercure 400: The event type "mercure" is reserved/);
    expect(log.lines[2]).toMatch(/^info disconnect #\d+ .* reason=client/);
  });

  it('logs a client-chosen cursor quoted: a line break in last_event_id cannot forge a log line', async () => {
    const log = captureLog();
    const hub = await start({ log });
    log.lines.length = 0;
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'a'], ['last_event_id', 'x\ninfo disconnect #1 forged']]));
    stream.close();
    await expect.poll(() => log.lines.length).toBe(2);
    expect(log.lines[0]).toMatch(/^info connect #\d+ .* last-event-id="x\\ninfo disconnect #1 forged"$/);
    expect(log.lines.filter((l) => l.includes('forged'))).toHaveLength(1);
  });

  it('answers 413 from Content-Length alone and closes that connection', async () => {
    const hub = await start({ limits: { bodyBytes: 100 } });
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    const { status, connection } = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(hub.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '100000' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
      });
      req.on('error', reject);
      req.write('topic=a&data=');
    });
    expect(status).toBe(413);
    expect(connection).toBe('close');
  });

  it('treats a publish whose client hangs up mid-body as a refused request (400, one warning), not an internal error, and publishes nothing', async () => {
    const log = captureLog();
    const hub = await start({ log });
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    const rejected = new Promise<number>((resolve) => hub.engine.on('reject', (e) => resolve(e.status)));
    const socket = connect(hub.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /.well-known/mercure HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntopic=a&data=par`);
    hub.server.once('request', (req) => req.once('data', () => socket.destroy()));
    expect(await rejected).toBe(400);
    expect(log.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(log.lines.filter((l) => l.startsWith('warn rejected POST'))).toEqual([expect.stringMatching(/400: The request body was cut off/)]);
    expect(hub.engine.history).toEqual([]);
  });

  it('answers requests Node cannot parse with their HTTP status (431 for a huge token, 400 otherwise), and logs each', async () => {
    const log = captureLog();
    const hub = await start({ log });
    const huge = await rawRequest(hub.port, `GET /.well-known/mercure?match=a HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    const garbled = await rawRequest(hub.port, 'GET /.well-known/mercure?match=a HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n');
    expect(garbled.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn rejected a request 431: its headers are too large \(HPE_HEADER_OVERFLOW\) client=127\.0\.0\.1$/),
      expect.stringMatching(/^warn rejected a request 400: it is not valid HTTP \(HPE_\w+\) client=127\.0\.0\.1$/),
    ]);
  });

  it('shuts down gracefully: streams end cleanly after what was dispatched, new requests are refused', async () => {
    const hub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY });
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'a']]));
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    const id = await (await publish(fetch, hub.url, [['topic', 'a'], ['data', 'last words']], token)).text();
    await hub.close();
    expect(await stream.ended).toBe('end');
    expect(stream.events.map((e) => e.id)).toEqual([id]);
    await expect(fetch(hub.url)).rejects.toThrow();
  });

  it.each([
    ['the default shutdown grace', {}],
    ['a shutdown grace longer than timers honour (2^32 ms)', { shutdownGrace: 2 ** 32 }],
  ])('lets an in-flight publish finish and reach the streams before they end, with %s', async (_name, options: CreateHubOptions) => {
    const hub = await createHub({ port: 0, log: false, publisherKey: TEST_KEY, ...options });
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'a']]));
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    let closing: Promise<void> | undefined;
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(hub.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('topic=a&da');
      // The body is still arriving when the hub starts closing.
      hub.server.once('request', () => {
        closing = hub.close();
        setTimeout(() => req.end('ta=x&id=in-flight'), 50);
      });
    });
    expect(await response).toEqual({ status: 200, body: 'in-flight' });
    expect(await stream.ended).toBe('end');
    expect(stream.events.map((e) => e.id)).toEqual(['in-flight']);
    await closing;
  });

  /**
   * A peer that sends its request for `a` and then never reads (a vanished client behind a proxy), with
   * 32 MB published to it: far more than the kernel buffers of both ends hold.
   */
  async function stalledPeer(hub: NodeHub): Promise<Socket> {
    const socket = connect(hub.port, '127.0.0.1');
    socket.write('GET /.well-known/mercure?match=a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.pause();
    await expect.poll(() => hub.engine.connections.length).toBe(1);
    const data = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 64; i++) hub.engine.publish({ topic: 'a', data });
    return socket;
  }

  it('drops a stream whose socket stops draining after idleWriteTimeout, and logs why', async () => {
    const log = captureLog();
    const hub = await start({ log, heartbeat: 0, idleWriteTimeout: 200, limits: { bufferedBytes: 512 * 1024 * 1024 } });
    const disconnected = new Promise<string>((resolve) => hub.engine.on('disconnect', (e) => resolve(e.reason)));
    const socket = await stalledPeer(hub);
    expect(await disconnected).toBe('stalled');
    expect(log.lines.some((l) => /^info disconnect #\d+ .* reason=stalled/.test(l))).toBe(true);
    socket.destroy();
  });

  it('cuts a stream ended cleanly (its lifetime reached) whose peer never takes its last bytes, after idleWriteTimeout', async () => {
    const hub = await start({ heartbeat: 0, idleWriteTimeout: 300, connectionLifetime: 100, limits: { bufferedBytes: 512 * 1024 * 1024 } });
    const serverSocket = new Promise<Socket>((resolve) => hub.server.once('connection', resolve));
    const ended = new Promise<string>((resolve) => hub.engine.on('disconnect', (e) => resolve(e.reason)));
    // Bytes are still unsent when the lifetime ends the stream.
    const socket = await stalledPeer(hub);
    expect(await ended).toBe('expired');
    // The connection is no longer counted nor watched: only the cut releases the socket and its unsent bytes.
    const server = await serverSocket;
    if (!server.destroyed) await new Promise((resolve) => server.once('close', resolve));
    expect(server.destroyed).toBe(true);
    socket.destroy();
  });

  it('publishes from the server side through the engine', async () => {
    const hub = await start();
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'a']]));
    streams.push(stream);
    const id = hub.engine.publish({ topic: 'a', data: 'from the server' });
    expect(await stream.next()).toMatchObject({ id, data: 'from the server' });
  });

  it('keeps serving, with its transport open, after the server reports an error once listening (accept EMFILE)', async () => {
    const log = captureLog();
    const transport = new MemoryTransport();
    let closes = 0;
    const close = transport.close.bind(transport);
    transport.close = () => {
      closes++;
      close();
    };
    const hub = await start({ transport, log });
    const accept = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    // Node reports a failed accept() on the listening server; twice, as a busy process would.
    hub.server.emit('error', accept);
    hub.server.emit('error', accept);
    expect(closes).toBe(0);
    expect(log.lines.filter((l) => l.startsWith('error') && l.includes('EMFILE'))).toHaveLength(2);
    const stream = await openStream(fetch, subscribeUrl(hub.url, [['match', 'urn:after-error']]));
    streams.push(stream);
    hub.engine.publish({ topic: 'urn:after-error', data: 'still here' });
    expect((await stream.next()).data).toBe('still here');
  });

  it('serves absolute-form request targets and answers OPTIONS * without an internal error', async () => {
    const log = captureLog();
    const hub = await start({ log });
    const token = await sign(v1Claims([{ actions: ['publish'], topics: ['*'] }]));
    const body = 'topic=urn%3Aabsolute&data=x';
    // HTTP/1.1 servers must accept the absolute form (RFC 9112, section 3.2.2), as proxies send it.
    const published = await rawRequest(
      hub.port,
      `POST http://127.0.0.1:${hub.port}/.well-known/mercure HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(published.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const options = await rawRequest(hub.port, 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(options.split('\r\n')[0]).toBe('HTTP/1.1 404 Not Found');
    expect(log.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  it('releases the port when its options are refused once it listens (CORS credentials with *, an unparsable publicUrl)', async () => {
    const port = await freePort();
    await expect(createHub({ port, log: false, cors: { origins: '*', credentials: true } })).rejects.toThrow(/credentials/);
    await expect(createHub({ port, log: false, publicUrl: 'not a url' })).rejects.toThrow('publicUrl: "not a url" is not an absolute URL');
    const hub = await start({ port });
    expect(hub.port).toBe(port);
  });

  it('refuses to start with a key that cannot verify any token (a private key, an empty secret, a malformed JWKS), naming it, and releases the port', async () => {
    const port = await freePort();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(createHub({ port, log: false, publisherKey: pem })).rejects.toThrow(/^The publisher key cannot be used: the PEM public key is neither/);
    await expect(createHub({ port, log: false, publisherKey: TEST_KEY, subscriberKey: '' })).rejects.toThrow(/^The subscriber key cannot be used: the HS256 secret is empty/);
    await expect(createHub({ port, log: false, publisherKey: { jwks: { keys: 'none' as never } } })).rejects.toThrow(/^The publisher key cannot be used/);
    const hub = await start({ port });
    expect(hub.port).toBe(port);
  });
});

/** Sends raw HTTP/1.1 text and resolves with everything the server answered before closing. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
    socket.write(text);
  });
}
