import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { resolve } from 'node:path';
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import { TEST_KEY } from '../helpers.js';
import { freePort, waitForPort } from './redisServer.js';

const CLI = resolve(import.meta.dirname, '../../../src/hub/cli.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One hub process running the CLI on a fixed port (so it can be killed and started again). */
export interface HubProcess {
  readonly port: number;
  readonly url: string;
  /** Starts the process (unless it runs) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it (`SIGKILL`: no graceful shutdown) or stops it (`SIGTERM`). */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
}

/** A hub CLI process on Redis. Extra flags are appended. */
export async function hubProcess(redisUrl: string, extra: readonly string[] = []): Promise<HubProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}/.well-known/mercure`,
    async start() {
      if (child !== undefined) return;
      const args = ['--import', 'tsx', CLI, '--port', String(port), '--transport', redisUrl, '--publisher-key', TEST_KEY, '--heartbeat', '1000', '--quiet', ...extra];
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      child = proc;
      const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`hub exited with ${code}`))));
      exited.catch(() => undefined);
      await Promise.race([waitForPort(port, 30_000), exited]);
    },
    async stop(signal = 'SIGKILL') {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((done) => {
        proc.once('exit', () => done());
        proc.kill(signal);
      });
    },
  };
}

/** Runs the CLI to completion; one still running after `timeout` ms is killed (its code is then `null`). */
export function runCli(args: readonly string[], timeout = 20_000): Promise<{ readonly code: number | null; readonly stderr: string }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeout);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });
}

/** A round-robin TCP proxy: each connection goes to the next backend that accepts it. */
export interface Proxy {
  readonly port: number;
  readonly url: string;
  /** Connections sent to each backend port so far. */
  readonly routed: Map<number, number>;
  close(): Promise<void>;
}

export async function startProxy(ports: readonly number[]): Promise<Proxy> {
  let next = 0;
  const routed = new Map<number, number>();
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    client.on('error', () => undefined);
    const attempt = (tries: number): void => {
      if (tries >= ports.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = ports[next++ % ports.length] as number;
      const upstream = connect(port, '127.0.0.1');
      track(upstream);
      let connected = false;
      upstream.once('error', () => {
        if (!connected) attempt(tries + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        routed.set(port, (routed.get(port) ?? 0) + 1);
        upstream.on('error', () => client.destroy());
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        upstream.pipe(client);
        client.pipe(upstream);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}/.well-known/mercure`,
    routed,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/**
 * A subscriber that reconnects after every cut, sending the last id it saw as `Last-Event-ID`,
 * like a browser `EventSource`. It keeps every event it received, duplicates included.
 */
export class ResumingReader {
  readonly events: EventSourceMessage[] = [];
  /** The `Last-Event-ID` response header of each stream it opened. */
  readonly resumedFrom: (string | null)[] = [];
  #controller: AbortController | undefined;
  #closed = false;
  readonly #waiters = new Set<() => void>();
  readonly #done: Promise<void>;

  constructor(url: string, lastEventId?: string) {
    this.#done = this.#loop(url, lastEventId);
  }

  get lastId(): string | undefined {
    return this.events.at(-1)?.id;
  }

  /** Resolves once `predicate` holds (checked on each event), or rejects after `timeout` ms. */
  until(predicate: () => boolean, timeout = 20_000): Promise<void> {
    return new Promise((done, fail) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        done();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        fail(new Error(`condition not met within ${timeout} ms; ${this.events.length} events received`));
      }, timeout);
      this.#waiters.add(check);
      check();
    });
  }

  async #loop(url: string, initial: string | undefined): Promise<void> {
    let cursor = initial;
    while (!this.#closed) {
      this.#controller = new AbortController();
      try {
        const response = await fetch(url, { headers: cursor === undefined ? {} : { 'last-event-id': cursor }, signal: this.#controller.signal });
        if (response.status !== 200 || response.body === null) throw new Error(`subscription answered ${response.status}`);
        this.resumedFrom.push(response.headers.get('mercure-last-event-id'));
        const parser = createParser({
          onEvent: (event) => {
            this.events.push(event);
            if (event.id !== undefined && event.id !== '') cursor = event.id;
            for (const waiter of [...this.#waiters]) waiter();
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch {
        // Cut, refused or aborted: reconnect below unless closed.
      }
      if (!this.#closed) await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#controller?.abort();
    await this.#done;
  }
}
