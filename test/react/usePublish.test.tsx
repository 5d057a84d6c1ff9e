import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SseDriver } from '../../src/core/SseDriver.js';
import type { FetchLike } from '../../src/core/types.js';
import { HIDDEN_QUEUE_MS } from '../../src/react/DriverOwner.js';
import { SseProvider, usePublish, useTopic, type PublishCallOptions, type UsePublishOptions, type UsePublishResult, type UseTopicResult } from '../../src/react/index.js';
import { countRequests, createDriver, createHub, driverOptions, tick, topic } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const ROOM = topic('room');

/** Mounts `Sender` under a provider of `driver`, lets its stream open, then drops it: the driver is reconnecting. */
async function mountThenDrop(hub: ReturnType<typeof createHub>, driver: SseDriver, Sender: () => null) {
  render(
    <SseProvider driver={driver}>
      <Sender />
    </SseProvider>,
  );
  await tick(50);
  hub.dropConnections();
  await tick(10);
}

/**
 * A sender (`usePublish` of ROOM with `options`, beside a `useTopic` that keeps its stream open) and a
 * receiver of ROOM, each under its own provider; what their hooks gave at the last render.
 */
function renderSenderAndReceiver(sender: SseDriver, receiver: SseDriver, options: UsePublishOptions) {
  const view: { pub?: UsePublishResult<number>; got?: UseTopicResult<number> } = {};
  function Sender() {
    useTopic(topic('presence'));
    view.pub = usePublish<number>(ROOM, options);
    return null;
  }
  function Receiver() {
    view.got = useTopic<number>(ROOM);
    return null;
  }
  render(
    <>
      <SseProvider driver={sender}>
        <Sender />
      </SseProvider>
      <SseProvider driver={receiver}>
        <Receiver />
      </SseProvider>
    </>,
  );
  return view;
}

function Room({ who, ignoreSelf = false }: { who: string; ignoreSelf?: boolean }) {
  const { publish, status } = usePublish<{ text: string }>(ROOM);
  const mine = useTopic<{ text: string }>(ROOM, { ignoreSelf: true });
  const all = useTopic<{ text: string }>(ROOM, { ignoreSelf });
  return (
    <section aria-label={who}>
      <button type="button" onClick={() => publish({ text: `hello from ${who}` })}>
        send as {who}
      </button>
      <output data-testid={`${who}-status`}>{status}</output>
      <ul data-testid={`${who}-others`}>
        {mine.events.map((e) => (
          <li key={e.id}>{e.data.text}</li>
        ))}
      </ul>
      <ul data-testid={`${who}-all`}>
        {all.events.map((e) => (
          <li key={e.id}>{e.data.text}</li>
        ))}
      </ul>
    </section>
  );
}

describe('usePublish', () => {
  it("shows one user's publish in another user's useTopic, and hides it from the sender with ignoreSelf (behaviour 5)", async () => {
    const hub = createHub();
    render(
      <>
        <SseProvider {...driverOptions(hub)}>
          <Room who="alice" />
        </SseProvider>
        <SseProvider {...driverOptions(hub)}>
          <Room who="bob" />
        </SseProvider>
      </>,
    );
    await tick(50);
    expect(hub.connections).toBe(2);
    act(() => fireEvent.click(screen.getByRole('button', { name: 'send as alice' })));
    await tick(20);
    expect(screen.getByTestId('alice-status').textContent).toBe('success');
    expect(screen.getByTestId('bob-others').textContent).toBe('hello from alice');
    expect(screen.getByTestId('bob-all').textContent).toBe('hello from alice');
    // The sender's own stream carries the update (without ignoreSelf it shows) …
    expect(screen.getByTestId('alice-all').textContent).toBe('hello from alice');
    // … and ignoreSelf hides it.
    expect(screen.getByTestId('alice-others').textContent).toBe('');

    act(() => fireEvent.click(screen.getByRole('button', { name: 'send as bob' })));
    await tick(20);
    expect(screen.getByTestId('alice-others').textContent).toBe('hello from bob');
    expect(screen.getByTestId('bob-others').textContent).toBe('hello from alice');
  });

  it('keeps publish stable across renders and never throws: a rejected publish lands in status and error', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const results: UsePublishResult<string>[] = [];
    function Sender({ n }: { n: number }) {
      results.push(usePublish<string>(topic(`t${n}`)));
      return null;
    }
    const view = render(
      <SseProvider driver={driver}>
        <Sender n={1} />
      </SseProvider>,
    );
    view.rerender(
      <SseProvider driver={driver}>
        <Sender n={2} />
      </SseProvider>,
    );
    const first = results[0] as UsePublishResult<string>;
    const latest = () => results[results.length - 1] as UsePublishResult<string>;
    expect(latest().publish).toBe(first.publish);
    expect(latest().publishAsync).toBe(first.publishAsync);
    expect(latest().reset).toBe(first.reset);

    hub.failNext(403, { method: 'POST' });
    act(() => expect(latest().publish('x')).toBeUndefined());
    await tick(10);
    expect(latest().status).toBe('error');
    expect(latest().error?.code).toBe('forbidden');

    let id: string | undefined;
    await act(async () => {
      id = await latest().publishAsync('y');
    });
    expect(latest().status).toBe('success');
    expect(latest().error).toBeUndefined();
    expect(latest().lastId).toBe(id);
    // The topic is read at publish time: the latest prop, t2.
    expect(hub.history.at(-1)?.topics).toEqual([topic('t2')]);

    hub.failNext(413, { method: 'POST' });
    let rejected: unknown;
    await act(async () => {
      await latest()
        .publishAsync('z')
        .catch((error: unknown) => {
          rejected = error;
        });
    });
    expect(rejected).toMatchObject({ code: 'too-large' });
    act(() => latest().reset());
    expect(latest()).toMatchObject({ status: 'idle', error: undefined, lastId: undefined });
    driver.destroy();
  });

  it('fails at once with network while the driver is reconnecting, without queue', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 5000, maxDelay: 5000 } });
    const requests = countRequests(hub);
    let result: UsePublishResult | undefined;
    function Sender() {
      useTopic(topic('x'));
      result = usePublish(topic('x'));
      return null;
    }
    await mountThenDrop(hub, driver, Sender);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    let rejected: unknown;
    await act(async () => {
      await result?.publishAsync({ a: 1 }).catch((error: unknown) => {
        rejected = error;
      });
    });
    expect(rejected).toMatchObject({ code: 'network' });
    expect(result?.error?.code).toBe('network');
    expect(requests.publishes).toBe(0);
    driver.destroy();
  });

  it('with queue: true holds publishes while offline, bounded, and sends each exactly once, in order, after the connection opens', async () => {
    const hub = createHub();
    // A fetch that forwards the first queued POST to the hub but loses its answer and the stream,
    // as a flaky network would: the publish is re-sent with the same id.
    let loseNextAnswer = false;
    let sender!: SseDriver;
    const flaky: FetchLike = async (input, init) => {
      const response = await hub.fetch(input, init);
      if (init?.method === 'POST' && loseNextAnswer) {
        loseNextAnswer = false;
        hub.dropConnections();
        throw new TypeError('network error: the answer was lost');
      }
      return response;
    };
    const requests = countRequests(hub);
    sender = createDriver(hub, { fetch: flaky, retry: { initialDelay: 1000, maxDelay: 1000 } });
    const receiver = createDriver(hub);
    const view = renderSenderAndReceiver(sender, receiver, { queue: true, queueLimit: 3 });
    await tick(50);
    hub.dropConnections();
    await tick(10);
    expect(sender.getSnapshot().status).toBe('reconnecting');

    const settled: (string | { code: string })[] = [];
    act(() => {
      for (let n = 1; n <= 4; n++) {
        view.pub?.publishAsync(n).then(
          (id) => settled.push(id),
          (error: { code: string }) => settled.push({ code: error.code }),
        );
      }
    });
    await tick(0);
    expect(view.pub?.status).toBe('queued');
    expect(requests.publishes).toBe(0);
    expect(settled).toEqual([{ code: 'network' }]);

    loseNextAnswer = true;
    await tick(1000); // reconnects, sends #1 whose answer is lost (and the stream with it)
    expect(requests.publishes).toBe(1);
    expect(view.pub?.status).toBe('queued');
    await tick(2000); // reconnects again, re-sends #1 with the same id, then #2 and #3
    await tick(50);
    expect(view.pub?.status).toBe('success');
    expect(requests.publishes).toBe(4);
    expect(settled).toHaveLength(4);
    expect(view.got?.events.map((e) => e.data)).toEqual([1, 2, 3]);
    expect(new Set(view.got?.events.map((e) => e.id)).size).toBe(3);
    sender.destroy();
    receiver.destroy();
  });

  it('with queue: true holds a publish sent while online whose request fails as the connection drops, and sends it again (same id) before the publishes made after it', async () => {
    const hub = createHub();
    // The first POST waits for the gate, then fails on the network without reaching the hub.
    let gate: (() => void) | undefined;
    let attempts = 0;
    const flaky: FetchLike = async (input, init) => {
      if (init?.method === 'POST' && attempts++ === 0) {
        await new Promise<void>((resolve) => (gate = resolve));
        throw new TypeError('network error: the connection dropped');
      }
      return hub.fetch(input, init);
    };
    const sender = createDriver(hub, { fetch: flaky, retry: { initialDelay: 1000, maxDelay: 1000 } });
    const receiver = createDriver(hub);
    const view = renderSenderAndReceiver(sender, receiver, { queue: true });
    await tick(50);
    expect(sender.getSnapshot().status).toBe('open');
    const settled: string[] = [];
    const track = (n: number) =>
      view.pub?.publishAsync(n).then(
        (id) => settled.push(`${n}:${id}`),
        (error: { code: string }) => settled.push(`${n}:${error.code}`),
      );
    act(() => void track(1)); // online: sent at once, its request hangs
    hub.dropConnections();
    await tick(10);
    expect(sender.getSnapshot().status).toBe('reconnecting');
    act(() => void track(2)); // offline: queued
    await act(async () => gate?.());
    expect(settled).toEqual([]);
    expect(view.pub?.status).toBe('queued');
    await tick(1000); // reconnects: #1 goes again, then #2
    await tick(50);
    expect(view.got?.events.map((e) => e.data)).toEqual([1, 2]);
    expect(settled.map((s) => s.split(':')[0])).toEqual(['1', '2']);
    expect(settled[0]).toBe(`1:${view.got?.events[0]?.id}`);
    expect(view.pub?.status).toBe('success');
    sender.destroy();
    receiver.destroy();
  });

  it('still sends a queued publish after its component unmounts', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 500, maxDelay: 500 } });
    const requests = countRequests(hub);
    let pub: UsePublishResult | undefined;
    function Sender() {
      pub = usePublish(topic('later'), { queue: true });
      return null;
    }
    function Keep() {
      useTopic(topic('keep'));
      return null;
    }
    const view = render(
      <SseProvider driver={driver}>
        <Keep />
        <Sender />
      </SseProvider>,
    );
    await tick(50);
    hub.dropConnections();
    await tick(10);
    let id: string | undefined;
    act(() => {
      void pub?.publishAsync('bye').then((value) => {
        id = value;
      });
    });
    view.rerender(
      <SseProvider driver={driver}>
        <Keep />
      </SseProvider>,
    );
    expect(requests.publishes).toBe(0);
    await tick(600);
    expect(requests.publishes).toBe(1);
    expect(id).toBeDefined();
    expect(hub.history.at(-1)?.id).toBe(id);
    driver.destroy();
  });

  it('gives a queued publish its id through the driver platform uuid seam', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 500, maxDelay: 500 }, platform: { random: () => 1, events: undefined, uuid: () => 'seam-id' } });
    let pub: UsePublishResult | undefined;
    function Sender() {
      useTopic(topic('q'));
      pub = usePublish(topic('q'), { queue: true });
      return null;
    }
    await mountThenDrop(hub, driver, Sender);
    let id: string | undefined;
    act(() => {
      void pub?.publishAsync('queued').then((value) => {
        id = value;
      });
    });
    expect(pub?.status).toBe('queued');
    await tick(600);
    expect(id).toBe('urn:uuid:seam-id');
    expect(hub.history.at(-1)?.id).toBe('urn:uuid:seam-id');
    driver.destroy();
  });

  it('keeps the hook defaults for call options given as undefined (exactOptionalPropertyTypes callers)', async () => {
    const hub = createHub();
    const driver = createDriver(hub);
    const stop = new AbortController();
    let pub: UsePublishResult | undefined;
    function Sender({ signal }: { signal: AbortSignal | undefined }) {
      pub = usePublish(topic('u'), { type: 'chat', signal, queue: undefined, queueLimit: undefined });
      return null;
    }
    const view = render(
      <SseProvider driver={driver}>
        <Sender signal={undefined} />
      </SseProvider>,
    );
    await tick(50);
    let id: string | undefined;
    act(() => {
      void pub?.publishAsync('hello', { type: undefined, id: undefined, private: undefined, signal: undefined }).then((value) => {
        id = value;
      });
    });
    await tick(20);
    expect(id).toBeDefined();
    expect(hub.history.at(-1)).toMatchObject({ id, type: 'chat', data: expect.stringContaining('hello') as unknown });

    // The hook's signal stays in force when a call passes `signal: undefined`.
    stop.abort();
    view.rerender(
      <SseProvider driver={driver}>
        <Sender signal={stop.signal} />
      </SseProvider>,
    );
    let rejected: unknown;
    act(() => {
      pub?.publishAsync('aborted', { signal: undefined }).catch((error: unknown) => {
        rejected = error;
      });
    });
    await tick(20);
    expect(rejected).toMatchObject({ code: 'aborted' });
    expect(hub.history.at(-1)?.id).toBe(id);
    driver.destroy();
  });

  it('rejects a queued publish whose send fails on the network once the driver has no stream to wait for, instead of holding it forever', async () => {
    const hub = createHub();
    let down = false;
    const flaky: FetchLike = async (input, init) => {
      if (down && init?.method === 'POST') throw new TypeError('network down');
      return hub.fetch(input, init);
    };
    const driver = createDriver(hub, { fetch: flaky, retry: { initialDelay: 5000, maxDelay: 5000 } });
    let pub: UsePublishResult | undefined;
    function Sender() {
      pub = usePublish(topic('x'), { queue: true });
      return null;
    }
    function Reader() {
      useTopic(topic('x'));
      return null;
    }
    const app = (reading: boolean) => (
      <SseProvider driver={driver}>
        {reading && <Reader />}
        <Sender />
      </SseProvider>
    );
    const view = render(app(true));
    await tick(50);
    hub.dropConnections();
    await tick(10);
    let settled: string = 'pending';
    act(() => {
      pub?.publishAsync('late').then(
        () => (settled = 'sent'),
        (error: { code: string }) => (settled = error.code),
      );
    });
    expect(pub?.status).toBe('queued');
    // The last reader leaves: the driver goes idle (no stream, so no state change will ever come),
    // and the queued publish goes out into a network that is down.
    down = true;
    view.rerender(app(false));
    await tick(100);
    expect(driver.getSnapshot().status).toBe('idle');
    expect(settled).toBe('network');
    expect(pub?.status).toBe('error');
    expect(pub?.error?.code).toBe('network');
    driver.destroy();
  });

  it('settles a queued publish in flight as its provider unmounts by the hub answer: delivered, it resolves with its id, not closed', async () => {
    const hub = createHub({ latency: 50 });
    let pub: UsePublishResult<number> | undefined;
    function Sender() {
      useTopic(topic('q'));
      pub = usePublish<number>(topic('q'), { queue: true });
      return null;
    }
    const view = render(
      <SseProvider {...driverOptions(hub, { retry: { initialDelay: 500, maxDelay: 500 } })}>
        <Sender />
      </SseProvider>,
    );
    await tick(200);
    hub.dropConnections();
    await tick(10);
    const settled: string[] = [];
    act(() => {
      for (const n of [1, 2, 3]) {
        pub?.publishAsync(n).then(
          (id) => settled.push(`${n}:${id}`),
          (error: { code: string }) => settled.push(`${n}:${error.code}`),
        );
      }
    });
    // Reconnected: #1 is sent and answered, #2 is in flight when the provider unmounts.
    await tick(600);
    expect(settled).toHaveLength(1);
    view.unmount();
    await tick(1000);
    const delivered = hub.history.map((update) => update.id);
    expect(delivered).toHaveLength(2);
    // The provider waited for #2's answer before destroying its driver: #2 was delivered and says so.
    expect(settled.sort()).toEqual([`1:${delivered[0]}`, `2:${delivered[1]}`]);
    // #3 waits for a show (an unmounted provider looks like a hidden one), then is rejected.
    await tick(HIDDEN_QUEUE_MS);
    expect(settled.sort()).toEqual([`1:${delivered[0]}`, `2:${delivered[1]}`, '3:closed']);
    expect(hub.history).toHaveLength(2);
  });

  it('refuses a bad publish at call time with the error the driver gives it online, queued or not, online or offline; the valid ones around it are sent', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 5000, maxDelay: 5000 } });
    const requests = countRequests(hub);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    // [what is wrong, topic, data, call options]
    const bad: Array<[string, string, unknown, PublishCallOptions]> = [
      ['no data', ROOM, undefined, {}],
      ['a BigInt', ROOM, { n: 1n }, {}],
      ['a cycle', ROOM, cycle, {}],
      ['raw data that is no string', ROOM, { a: 1 }, { raw: true }],
      ['no topic', '', 1, {}],
      ['an empty id', ROOM, 1, { id: '' }],
      ['an aborted signal', ROOM, 1, { signal: AbortSignal.abort() }],
    ];
    const hooks = new Map<string, UsePublishResult>();
    function Sender() {
      useTopic(ROOM);
      for (const to of [ROOM, '']) {
        hooks.set(`${to} queued`, usePublish(to, { queue: true }));
        hooks.set(`${to} plain`, usePublish(to));
      }
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Sender />
      </SseProvider>,
    );
    await tick(50);
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
      );
    // What the driver's own publish says of each, online.
    const expected = await Promise.all(bad.map(([, to, data, options]) => outcome(driver.publish(to, data, options))));
    expect(expected.every((e) => e.startsWith('misuse: ') || e.startsWith('aborted: '))).toBe(true);

    const calls = (online: boolean) =>
      bad.flatMap(([what, to, data, options], i) =>
        ['queued', 'plain'].map((kind) => {
          const got: { value?: string } = {};
          void outcome(hooks.get(`${to} ${kind}`)!.publishAsync(data, options)).then((value) => (got.value = value));
          return { what: `${what} (${kind}, ${online ? 'online' : 'offline'})`, got, expected: expected[i] };
        }),
      );
    const online = calls(true);
    await tick(0);
    for (const call of online) expect(call.got.value, call.what).toBe(call.expected);

    hub.dropConnections();
    await tick(10);
    expect(driver.getSnapshot().status).toBe('reconnecting');
    const queued = hooks.get(`${ROOM} queued`)!;
    const valid: string[] = [];
    act(() => void queued.publishAsync(null).then((id) => valid.push(id)));
    const offline = calls(false);
    act(() => void queued.publishAsync('raw text', { raw: true }).then((id) => valid.push(id)));
    // At once: no time passes, no stream comes back.
    await tick(0);
    for (const call of offline) expect(call.got.value, call.what).toBe(call.expected);
    expect(hooks.get(`${ROOM} queued`)?.status).toBe('queued');

    const before = requests.publishes;
    await tick(5000);
    expect(valid).toHaveLength(2);
    expect(requests.publishes - before).toBe(2);
    expect(hooks.get(`${ROOM} queued`)?.status).toBe('success');
    driver.destroy();
  });

  it('refuses a publish with closed once its driver was destroyed, whatever its input, queued or not', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 5000, maxDelay: 5000 } });
    const hooks: Record<string, UsePublishResult> = {};
    function Sender() {
      useTopic(ROOM);
      hooks.queued = usePublish(ROOM, { queue: true });
      hooks.plain = usePublish(ROOM);
      return null;
    }
    // Destroyed while reconnecting: queued publishes would otherwise wait.
    await mountThenDrop(hub, driver, Sender);
    act(() => driver.destroy());
    const inputs: Array<[unknown, PublishCallOptions]> = [
      [1, {}],
      [undefined, {}],
      [{ n: 1n }, {}],
      [{ a: 1 }, { raw: true }],
      [1, { id: '' }],
      [1, { signal: AbortSignal.abort() }],
    ];
    const got: string[] = [];
    for (const kind of ['queued', 'plain']) {
      for (const [data, options] of inputs) {
        act(() => void hooks[kind]!.publishAsync(data, options).catch((error: { code: string }) => got.push(`${kind}: ${error.code}`)));
      }
    }
    await tick(0);
    expect(got).toEqual([...inputs.map(() => 'queued: closed'), ...inputs.map(() => 'plain: closed')]);
    expect(hooks.queued?.error?.code).toBe('closed');
    expect(hub.history).toEqual([]);
  });

  it('rejects queued publishes with closed when the driver is destroyed', async () => {
    const hub = createHub();
    const driver = createDriver(hub, { retry: { initialDelay: 5000, maxDelay: 5000 } });
    let pub: UsePublishResult | undefined;
    function Sender() {
      useTopic(topic('x'));
      pub = usePublish(topic('x'), { queue: true });
      return null;
    }
    await mountThenDrop(hub, driver, Sender);
    let rejected: unknown;
    act(() => {
      pub?.publishAsync('late').catch((error: unknown) => {
        rejected = error;
      });
    });
    expect(pub?.status).toBe('queued');
    act(() => driver.destroy());
    await tick(0);
    expect(rejected).toMatchObject({ code: 'closed' });
    expect(pub?.status).toBe('error');
  });
});
