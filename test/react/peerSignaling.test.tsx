import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { StrictMode, useLayoutEffect, useState, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HubUpdate } from '../../src/hub/engine/types.js';
import type { MockHub } from '../../src/mock/index.js';
import { SseProvider } from '../../src/react/index.js';
import { usePeerConnection } from '../../src/react/usePeerConnection.js';
import { usePeerSignaling, type UsePeerSignalingOptions } from '../../src/react/usePeerSignaling.js';
import { SignalingError } from '../../src/signaling/errors.js';
import { signalingTopics } from '../../src/signaling/topics.js';
import type { PeerSignaling } from '../../src/signaling/PeerSignaling.js';
import type { Signal } from '../../src/signaling/types.js';
import { FakeNetwork, seeded } from '../signaling/fakeRtc.js';
import { frameOf, publishFrame } from '../signaling/helpers.js';
import { createDriver, createHub, tick } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Member({ name, options = {} }: { name: string; options?: UsePeerSignalingOptions }) {
  const room = usePeerSignaling('lobby', { peerId: name, metadata: { name }, encrypt: false, ...options });
  const first = room.peers[0];
  return (
    <section aria-label={name}>
      <p role="status">{room.status}</p>
      <ul aria-label="peers">
        {room.peers.map((p) => (
          <li key={p.id}>{(p.metadata as { name: string }).name}</li>
        ))}
      </ul>
      <button type="button" onClick={() => void (first && room.send(first.id, `hello from ${name}`))}>
        send
      </button>
    </section>
  );
}

function peersOf(name: string): string[] {
  const region = screen.getByRole('region', { name });
  return within(within(region).getByRole('list', { name: 'peers' }))
    .queryAllByRole('listitem')
    .map((li) => li.textContent ?? '');
}

function hellos(published: HubUpdate[]): string[] {
  return published.flatMap((u) => (frameOf(u)?.msgs ?? []).filter((m) => m.t === 'hello').map(() => frameOf(u)!.from));
}

function setup(): { hub: MockHub; published: HubUpdate[]; providers: [ReturnType<typeof createDriver>, ReturnType<typeof createDriver>] } {
  const hub = createHub();
  const published: HubUpdate[] = [];
  hub.on('publish', (u) => published.push(u));
  return { hub, published, providers: [createDriver(hub), createDriver(hub)] };
}

/** Renders `first` under the first provider, and bob as a member under the second. */
function renderWithBob(providers: ReturnType<typeof setup>['providers'], first: ReactNode): void {
  render(
    <>
      <SseProvider driver={providers[0]}>{first}</SseProvider>
      <SseProvider driver={providers[1]}>
        <Member name="bob" />
      </SseProvider>
    </>,
  );
}

describe('usePeerSignaling', () => {
  it('two members see each other and exchange direct signals', async () => {
    const { providers } = setup();
    const got: Signal[] = [];
    render(
      <>
        <SseProvider driver={providers[0]}>
          <Member name="ada" />
        </SseProvider>
        <SseProvider driver={providers[1]}>
          <Member name="bob" options={{ onSignal: (s) => got.push(s) }} />
        </SseProvider>
      </>,
    );
    await tick(100);
    expect(peersOf('ada')).toEqual(['bob']);
    expect(peersOf('bob')).toEqual(['ada']);
    expect(within(screen.getByRole('region', { name: 'ada' })).getByRole('status').textContent).toBe('joined');
    fireEvent.click(within(screen.getByRole('region', { name: 'ada' })).getByRole('button', { name: 'send' }));
    await tick(10);
    expect(got.map((s) => [s.from, s.data])).toEqual([['ada', 'hello from ada']]);
  });

  it('announces once per member and shares one connection per provider under StrictMode', async () => {
    const { hub, published, providers } = setup();
    render(
      <StrictMode>
        <SseProvider driver={providers[0]}>
          <Member name="ada" />
        </SseProvider>
        <SseProvider driver={providers[1]}>
          <Member name="bob" />
        </SseProvider>
      </StrictMode>,
    );
    await tick(100);
    expect(peersOf('ada')).toEqual(['bob']);
    expect(hellos(published).sort()).toEqual(['ada', 'bob']);
    expect(hub.connections).toBe(2);
    await tick(60_000);
    expect(hellos(published).sort()).toEqual(['ada', 'bob']);
  });

  it('a member remounted under StrictMode on the open connection is seen again at once', async () => {
    const { hub, published, providers } = setup();
    function App() {
      const [generation, setGeneration] = useState(0);
      return (
        <StrictMode>
          <SseProvider driver={providers[0]}>
            <Member key={generation} name="ada" />
          </SseProvider>
          <SseProvider driver={providers[1]}>
            <Member name="bob" />
          </SseProvider>
          <button type="button" onClick={() => setGeneration((g) => g + 1)}>
            remount ada
          </button>
        </StrictMode>
      );
    }
    render(<App />);
    await tick(100);
    expect(peersOf('bob')).toEqual(['ada']);
    // The new member joins with the same peer id while the old one leaves: the stream's matchers stay the same.
    fireEvent.click(screen.getByRole('button', { name: 'remount ada' }));
    await tick(50);
    expect(peersOf('bob')).toEqual(['ada']);
    expect(peersOf('ada')).toEqual(['bob']);
    expect(within(screen.getByRole('region', { name: 'ada' })).getByRole('status').textContent).toBe('joined');
    expect(hellos(published).sort()).toEqual(['ada', 'ada', 'bob']);
    expect(hub.connections).toBe(2);
    await tick(60_000);
    expect(hellos(published).sort()).toEqual(['ada', 'ada', 'bob']);
    expect(peersOf('bob')).toEqual(['ada']);
  });

  it('an unmounted member leaves at once; enabled: false stays out of the room', async () => {
    const { providers } = setup();
    function App() {
      const [bobHere, setBobHere] = useState(true);
      const [carolIn, setCarolIn] = useState(false);
      return (
        <>
          <SseProvider driver={providers[0]}>
            <Member name="ada" />
            <Member name="carol" options={{ enabled: carolIn }} />
          </SseProvider>
          <SseProvider driver={providers[1]}>{bobHere && <Member name="bob" />}</SseProvider>
          <button type="button" onClick={() => setBobHere(false)}>
            bob goes
          </button>
          <button type="button" onClick={() => setCarolIn(true)}>
            carol comes
          </button>
        </>
      );
    }
    render(<App />);
    await tick(100);
    expect(peersOf('ada')).toEqual(['bob']);
    expect(within(screen.getByRole('region', { name: 'carol' })).getByRole('status').textContent).toBe('idle');
    fireEvent.click(screen.getByRole('button', { name: 'bob goes' }));
    await tick(5);
    expect(peersOf('ada')).toEqual([]);
    fireEvent.click(screen.getByRole('button', { name: 'carol comes' }));
    await tick(100);
    expect(peersOf('ada')).toEqual(['carol']);
    expect(peersOf('carol')).toEqual(['ada']);
  });

  it('passes sendTimeout to the room: a publish the hub never answers is reported as a stalled outbox', async () => {
    const hub = createHub();
    const hanging: typeof hub.fetch = (input, init) =>
      init?.method === 'POST' ? new Promise<Response>(() => {}) : hub.fetch(input, init);
    const driver = createDriver(hub, { fetch: hanging });
    const errors: string[] = [];
    render(
      <SseProvider driver={driver}>
        <Member name="ada" options={{ sendTimeout: 200, onError: (error) => errors.push((error as { code?: string }).code ?? error.message) }} />
      </SseProvider>,
    );
    await tick(100);
    expect(errors).toEqual([]);
    await tick(200);
    expect(errors).toContain('timeout');
  });

  it('passes maxPeers to the room: a newcomer past it is ignored and told once', async () => {
    const { hub, providers } = setup();
    const errors: string[] = [];
    renderWithBob(providers, <Member name="ada" options={{ maxPeers: 1, onError: (error) => errors.push((error as { code?: string }).code ?? error.message) }} />);
    await tick(100);
    expect(peersOf('ada')).toEqual(['bob']);
    for (const seq of [1, 2]) {
      publishFrame(hub, signalingTopics('lobby').room, { from: 'eve', sid: 'e1', at: 1, msgs: [{ seq, t: seq === 1 ? 'hello' : 'beat', meta: { name: 'eve' } }] });
    }
    await tick(10);
    expect(peersOf('ada')).toEqual(['bob']);
    expect(peersOf('bob')).toEqual(['ada', 'eve']);
    expect(errors).toEqual(['room-full']);
  });

  it('moves to another room: leaves the old one, joins the new one, and never shows the old room there', async () => {
    const { providers } = setup();
    const shown: string[] = [];
    let instances = new Set<unknown>();
    let move!: () => void;
    function Mover() {
      const [room, setRoom] = useState('lobby');
      move = () => setRoom('kitchen');
      const state = usePeerSignaling(room, { peerId: 'ada', encrypt: false });
      instances.add(state.signaling);
      shown.push(`${room}:${state.peers.map((p) => p.id).join(',')}`);
      return null;
    }
    function Stayer({ name, room }: { name: string; room: string }) {
      const state = usePeerSignaling(room, { peerId: name, encrypt: false });
      return <p data-testid={name}>{state.peers.map((p) => p.id).join(',')}</p>;
    }
    render(
      <>
        <SseProvider driver={providers[0]}>
          <Mover />
        </SseProvider>
        <SseProvider driver={providers[1]}>
          <Stayer name="bob" room="lobby" />
          <Stayer name="carol" room="kitchen" />
        </SseProvider>
      </>,
    );
    await tick(100);
    expect(shown.at(-1)).toBe('lobby:bob');
    instances = new Set();
    act(() => move());
    await tick(100);
    expect(screen.getByTestId('bob').textContent).toBe('');
    expect(screen.getByTestId('carol').textContent).toBe('ada');
    expect(shown.at(-1)).toBe('kitchen:carol');
    expect(shown.filter((s) => s.startsWith('kitchen:')).some((s) => s.includes('bob'))).toBe(false);
    // One new instance for the new room.
    expect(instances.size).toBe(2);
  });

  it('never hands a signal of the previous room to the onSignal rendered for the new one', async () => {
    const { providers } = setup();
    // The signal listener each instance got, to deliver as the room does: at any moment, here between
    // the commit of the new room (which made the new onSignal current) and the effect that moves rooms.
    const listeners = new Map<PeerSignaling, (signal: Signal) => void>();
    const capture = (signaling: PeerSignaling) => {
      if (listeners.has(signaling) || Object.hasOwn(signaling, 'on')) return;
      const on = signaling.on.bind(signaling);
      signaling.on = ((type, listener) => {
        if (type === 'signal') listeners.set(signaling, listener as (signal: Signal) => void);
        return on(type, listener);
      }) as PeerSignaling['on'];
    };
    const seen: string[] = [];
    let first: PeerSignaling | undefined;
    let move!: () => void;
    function Mover() {
      const [room, setRoom] = useState('lobby');
      move = () => setRoom('kitchen');
      const state = usePeerSignaling(room, { peerId: 'ada', metadata: { name: 'ada' }, encrypt: false, onSignal: (signal) => seen.push(`${room} got ${String(signal.data)}`) });
      capture(state.signaling);
      first ??= state.signaling;
      useLayoutEffect(() => {
        if (room === 'kitchen') listeners.get(first!)?.({ from: 'bob', data: 'lobby news', channel: 'signal', direct: false, encrypted: false });
      }, [room]);
      return null;
    }
    renderWithBob(providers, <Mover />);
    await tick(100);
    expect(listeners.has(first!)).toBe(true);
    act(() => move());
    await tick(100);
    // Before the fix: ['kitchen got lobby news'].
    expect(seen).toEqual([]);
  });

  it('announces a metadata change without rejoining', async () => {
    const { providers, published } = setup();
    function Renamable() {
      const [name, setName] = useState('ada');
      const room = usePeerSignaling('lobby', { peerId: 'ada', metadata: { name }, encrypt: false });
      return (
        <button type="button" onClick={() => setName('ada lovelace')}>
          rename {room.status}
        </button>
      );
    }
    renderWithBob(providers, <Renamable />);
    await tick(100);
    expect(peersOf('bob')).toEqual(['ada']);
    fireEvent.click(screen.getByRole('button', { name: /rename/ }));
    await tick(10);
    expect(peersOf('bob')).toEqual(['ada lovelace']);
    expect(hellos(published).sort()).toEqual(['ada', 'bob']);
  });
});

describe('usePeerConnection', () => {
  it('connects two members, carries messages both ways, and closes when the peer leaves', async () => {
    const { providers } = setup();
    const net = new FakeNetwork(seeded(11));
    const received: unknown[] = [];
    function Caller({ name }: { name: string }) {
      const room = usePeerSignaling('lobby', { peerId: name, metadata: { name }, encrypt: false });
      const other = room.peers[0]?.id;
      const link = usePeerConnection(other, { signaling: room, RTCPeerConnection: net.RTCPeerConnection, onMessage: (d) => received.push([name, d]) });
      return (
        <section aria-label={name}>
          <p role="status" aria-label="connection">
            {link.state}/{link.channelState}
          </p>
          <output aria-label="last message">{String(link.lastMessage ?? '')}</output>
          <button type="button" onClick={() => link.send(`hi from ${name}`)}>
            say hi
          </button>
        </section>
      );
    }
    function App() {
      const [bobHere, setBobHere] = useState(true);
      return (
        <StrictMode>
          <SseProvider driver={providers[0]}>
            <Caller name="ada" />
          </SseProvider>
          <SseProvider driver={providers[1]}>{bobHere && <Caller name="bob" />}</SseProvider>
          <button type="button" onClick={() => setBobHere(false)}>
            bob goes
          </button>
        </StrictMode>
      );
    }
    render(<App />);
    await tick(3000);
    const ada = screen.getByRole('region', { name: 'ada' });
    const bob = screen.getByRole('region', { name: 'bob' });
    expect(within(ada).getByRole('status', { name: 'connection' }).textContent).toBe('connected/open');
    expect(within(bob).getByRole('status', { name: 'connection' }).textContent).toBe('connected/open');
    // StrictMode's throwaway mount created no connection: one per side.
    expect(net.connections).toHaveLength(2);

    fireEvent.click(within(ada).getByRole('button', { name: 'say hi' }));
    fireEvent.click(within(bob).getByRole('button', { name: 'say hi' }));
    await tick(100);
    expect(within(bob).getByRole('status', { name: 'last message' }).textContent).toBe('hi from ada');
    expect(within(ada).getByRole('status', { name: 'last message' }).textContent).toBe('hi from bob');
    expect(received).toEqual(expect.arrayContaining([['bob', 'hi from ada'], ['ada', 'hi from bob']]));

    fireEvent.click(screen.getByRole('button', { name: 'bob goes' }));
    await tick(10);
    expect(within(ada).getByRole('status', { name: 'connection' }).textContent).toBe('closed/closed');
  });

  it("moved to another peer not in the room yet, shows nothing of the previous peer's connection and hands its messages to no callback", async () => {
    const { providers } = setup();
    const net = new FakeNetwork(seeded(5));
    let choose!: (peer: string) => void;
    const messages: string[] = [];
    let toBob: RTCPeerConnection | undefined;
    function Caller() {
      const [peer, setPeer] = useState('bob');
      choose = setPeer;
      const room = usePeerSignaling('lobby', { peerId: 'ada', encrypt: false });
      const link = usePeerConnection(peer, {
        signaling: room,
        RTCPeerConnection: net.RTCPeerConnection,
        onMessage: (data) => messages.push(`${peer} got ${String(data)}`),
      });
      if (peer === 'bob') toBob = link.connection;
      useLayoutEffect(() => {
        // A message on bob's channel between the commit of the new peer and the effect that closes bob's connection.
        const channel = (toBob as unknown as { channels: EventTarget[] } | undefined)?.channels[0];
        if (peer === 'carol') channel?.dispatchEvent(Object.assign(new Event('message'), { data: 'late' }));
      }, [peer]);
      return (
        <p aria-label="link" data-connection={link.connection === undefined ? 'none' : 'some'}>
          {peer}:{link.state}/{link.channelState}/{String(link.lastMessage ?? '')}
        </p>
      );
    }
    function Bob() {
      const room = usePeerSignaling('lobby', { peerId: 'bob', encrypt: false });
      const link = usePeerConnection(room.peers[0]?.id, { signaling: room, RTCPeerConnection: net.RTCPeerConnection });
      return (
        <button type="button" disabled={link.channelState !== 'open'} onClick={() => link.send('hi from bob')}>
          bob says hi
        </button>
      );
    }
    render(
      <>
        <SseProvider driver={providers[0]}>
          <Caller />
        </SseProvider>
        <SseProvider driver={providers[1]}>
          <Bob />
        </SseProvider>
      </>,
    );
    await tick(3000);
    fireEvent.click(screen.getByRole('button', { name: 'bob says hi' }));
    await tick(100);
    expect(screen.getByLabelText('link').textContent).toBe('bob:connected/open/hi from bob');
    act(() => choose('carol'));
    await tick(100);
    // Before the fix: carol:closed/closed/hi from bob, with bob's RTCPeerConnection as `connection`.
    expect(screen.getByLabelText('link').textContent).toBe('carol:new/none/');
    expect(screen.getByLabelText('link').dataset.connection).toBe('none');
    // Before the fix: […, 'carol got late'].
    expect(messages).toEqual(['bob got hi from bob']);
  });

  it('reports a connection it cannot create (no RTCPeerConnection here) to onError, or, without onError, as an uncaught error instead of dropping it', async () => {
    const { providers } = setup();
    expect((globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection).toBeUndefined();
    const reported = vi.fn();
    vi.stubGlobal('reportError', reported);
    const handled: Error[] = [];
    function Caller({ name, onError }: { name: string; onError?: (error: Error) => void }) {
      const room = usePeerSignaling('lobby', { peerId: name, encrypt: false });
      const options: Parameters<typeof usePeerConnection>[1] = { signaling: room };
      if (onError) options.onError = onError;
      const link = usePeerConnection(room.peers[0]?.id, options);
      return <p aria-label={name}>{link.state}</p>;
    }
    try {
      render(
        <>
          <SseProvider driver={providers[0]}>
            <Caller name="ada" />
          </SseProvider>
          <SseProvider driver={providers[1]}>
            <Caller name="bob" onError={(error) => handled.push(error)} />
          </SseProvider>
        </>,
      );
      await tick(1000);
      expect(handled.map((e) => (e as SignalingError).code)).toEqual(['misuse']);
      // Before the fix, ada's error (no onError) vanished: state stayed `new` with nothing said anywhere.
      expect(reported).toHaveBeenCalledTimes(1);
      expect(reported.mock.calls[0]?.[0]).toBeInstanceOf(SignalingError);
      expect((reported.mock.calls[0]?.[0] as SignalingError).code).toBe('misuse');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('usePeerConnection when the peer comes and goes', () => {
  it('starts again each time the peer comes back, quick toggles included, under StrictMode: one live connection per side, no error', async () => {
    const { providers } = setup();
    const net = new FakeNetwork(seeded(11));
    const errors: unknown[] = [];
    function Caller({ name }: { name: string }) {
      const room = usePeerSignaling('lobby', { peerId: name, metadata: { name }, encrypt: false, onError: (e) => errors.push([name, e]) });
      const other = room.peers[0]?.id;
      const link = usePeerConnection(other, { signaling: room, RTCPeerConnection: net.RTCPeerConnection, onError: (e) => errors.push([name, e]) });
      return (
        <section aria-label={name}>
          <p role="status" aria-label="connection">
            {link.state}/{link.channelState}
          </p>
        </section>
      );
    }
    function App() {
      const [bobHere, setBobHere] = useState(true);
      return (
        <StrictMode>
          <SseProvider driver={providers[0]}>
            <Caller name="ada" />
          </SseProvider>
          <SseProvider driver={providers[1]}>{bobHere && <Caller name="bob" />}</SseProvider>
          <button type="button" onClick={() => setBobHere((here) => !here)}>
            toggle
          </button>
        </StrictMode>
      );
    }
    render(<App />);
    await tick(3000);
    const state = (n: string) => within(screen.getByRole('region', { name: n })).getByRole('status', { name: 'connection' }).textContent;
    expect([state('ada'), state('bob')]).toEqual(['connected/open', 'connected/open']);
    for (let i = 0; i < 3; i++) {
      fireEvent.click(screen.getByRole('button', { name: 'toggle' }));
      await tick(10);
      expect(state('ada')).toBe('closed/closed');
      fireEvent.click(screen.getByRole('button', { name: 'toggle' }));
      await tick(3000);
      expect([state('ada'), state('bob')]).toEqual(['connected/open', 'connected/open']);
    }
    // Gone and back at once.
    fireEvent.click(screen.getByRole('button', { name: 'toggle' }));
    fireEvent.click(screen.getByRole('button', { name: 'toggle' }));
    await tick(5000);
    expect([state('ada'), state('bob')]).toEqual(['connected/open', 'connected/open']);
    expect(errors).toEqual([]);
    expect(net.connections.filter((c) => !c.closed)).toHaveLength(2);
  });
});
