import { listen } from './listen.js';

/**
 * A server that answers every request with 200 but not an event stream: `/json` a JSON body,
 * `/html` an HTML error page (what a proxy or a framework's catch-all sends), `/text` plain text.
 * Everything else gets the HTML page too.
 */
export async function startWrongShapeServer(): Promise<{ readonly origin: string; close(): Promise<void> }> {
  const server = await listen((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith('/json')) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"error":"not a stream"}');
    if (path.startsWith('/text')) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body><h1>Something went wrong</h1></body></html>');
  });
  return { origin: server.origin, close: () => server.stop() };
}
