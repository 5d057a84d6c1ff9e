import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from './server.js';

/** GET `path` as sent, unescaped and unnormalised (fetch would normalise it). */
function get(server: StaticServer, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolveGet, reject) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveStatic', () => {
  let dir: string;
  let server: StaticServer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sse-kit-static-'));
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
    server = await serveStatic(dir);
  });

  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files and refuses paths outside its folder', async () => {
    expect(await get(server, '/')).toEqual({ status: 200, body: '<p>hi</p>' });
    expect((await get(server, '/..%2F..%2Fetc%2Fpasswd')).status).toBe(403);
    expect((await get(server, '/missing.js')).status).toBe(404);
    expect((await get(server, '/favicon.ico')).status).toBe(204);
  });

  it('answers a malformed escape with 400 and keeps serving (it used to throw out of the request handler and end the process)', async () => {
    expect((await get(server, '/%E0%A4%A')).status).toBe(400);
    expect(await get(server, '/index.html')).toEqual({ status: 200, body: '<p>hi</p>' });
  });
});
