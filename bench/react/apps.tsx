import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useEventSource } from 'react-use-websocket';
import type { SseDriver } from '../../src/core/SseDriver.js';
import { SseProvider, useTopic } from '../../src/react/index.js';

/** Render bookkeeping shared by the benchmark and the components. */
export interface Meter {
  /** Component renders, by component index. */
  renders: number[];
  /** Commits of measured components (layout effects; Profiler is inert in production builds). */
  commits: number;
  /** `performance.now()` of the last commit. */
  lastCommitAt: number;
  /** Updates the burst component has seen in its rendered state. */
  seen: number;
  /** Payload numbers of the last rendered `events` window (order check). */
  window: number[];
}

export function newMeter(size: number): Meter {
  return { renders: new Array<number>(size).fill(0), commits: 0, lastCommitAt: 0, seen: 0, window: [] };
}

/** The URL useEventSource shares one EventSource on (share: true shares by URL). */
export const PEER_URL = 'https://bench.local/.well-known/mercure?topic=*';

export const topicOf = (i: number | string): string => `https://example.com/bench/${i}`;

interface Envelope {
  readonly topic: string;
  readonly payload: { readonly n: number };
}

/** Counts a render of component `i`, and its commit. */
function useMeter(meter: Meter, i: number): void {
  meter.renders[i] = (meter.renders[i] ?? 0) + 1;
  useLayoutEffect(() => {
    meter.commits++;
    meter.lastCommitAt = performance.now();
  });
}

// ------------------------------------------------------------ render isolation

function KitCell({ i, meter }: { i: number; meter: Meter }) {
  const { last } = useTopic<Envelope['payload']>(topicOf(i));
  useMeter(meter, i);
  return <span>{last?.data.n ?? '-'}</span>;
}

/** 100 cells on sse-kit, one topic each. */
export function KitIsolation({ driver, meter, count }: { driver: SseDriver; meter: Meter; count: number }) {
  return (
    <SseProvider driver={driver}>
      {Array.from({ length: count }, (_, i) => (
        <KitCell key={i} i={i} meter={meter} />
      ))}
    </SseProvider>
  );
}

function PeerCell({ i, meter, filter, url }: { i: number; meter: Meter; filter: boolean; url: string }) {
  const topic = topicOf(i);
  const { lastEvent } = useEventSource(url, {
    share: true,
    ...(filter ? { filter: (message: MessageEvent) => (JSON.parse(message.data as string) as Envelope).topic === topic } : {}),
  });
  useMeter(meter, i);
  // `lastEvent` is the connection's last message, whatever its topic: keep the last one of ours.
  const mine = useRef<number | undefined>(undefined);
  const envelope = lastEvent ? (JSON.parse(lastEvent.data as string) as Envelope) : undefined;
  if (envelope?.topic === topic) mine.current = envelope.payload.n;
  return <span>{mine.current ?? '-'}</span>;
}

/** 100 cells on useEventSource(share: true), each showing the last update of its topic. */
export function PeerIsolation({ meter, count, filter, url = PEER_URL }: { meter: Meter; count: number; filter: boolean; url?: string }) {
  return (
    <>
      {Array.from({ length: count }, (_, i) => (
        <PeerCell key={i} i={i} meter={meter} filter={filter} url={url} />
      ))}
    </>
  );
}

// ------------------------------------------------------------ burst

function KitBurstView({ meter }: { meter: Meter }) {
  const { events, dropped } = useTopic<Envelope['payload']>(topicOf('burst'));
  useMeter(meter, 0);
  meter.seen = events.length + dropped;
  meter.window = events.map((e) => e.data.n);
  return <p>{meter.seen}</p>;
}

/** One component keeping the last 50 updates of a topic (and a count) on sse-kit. */
export function KitBurst({ driver, meter }: { driver: SseDriver; meter: Meter }) {
  return (
    <SseProvider driver={driver}>
      <KitBurstView meter={meter} />
    </SseProvider>
  );
}

/** The same on useEventSource, accumulating in `onMessage` with a state updater (loses nothing). */
function PeerBurstOnMessage({ meter }: { meter: Meter }) {
  const [state, setState] = useState<{ events: number[]; count: number }>({ events: [], count: 0 });
  const topic = topicOf('burst');
  useEventSource(PEER_URL, {
    share: true,
    onMessage: (message: MessageEvent) => {
      const envelope = JSON.parse(message.data as string) as Envelope;
      if (envelope.topic !== topic) return;
      setState((s) => ({ events: [...s.events.slice(-49), envelope.payload.n], count: s.count + 1 }));
    },
  });
  useMeter(meter, 0);
  meter.seen = state.count;
  meter.window = state.events;
  return <p>{state.count}</p>;
}

/** The same on useEventSource's documented `lastEvent`, accumulated in an effect (what the hook returns). */
function PeerBurstLastEvent({ meter }: { meter: Meter }) {
  const [state, setState] = useState<{ events: number[]; count: number }>({ events: [], count: 0 });
  const topic = topicOf('burst');
  const { lastEvent } = useEventSource(PEER_URL, { share: true });
  useEffect(() => {
    if (!lastEvent) return;
    const envelope = JSON.parse(lastEvent.data as string) as Envelope;
    if (envelope.topic !== topic) return;
    setState((s) => ({ events: [...s.events.slice(-49), envelope.payload.n], count: s.count + 1 }));
  }, [lastEvent, topic]);
  useMeter(meter, 0);
  meter.seen = state.count;
  meter.window = state.events;
  return <p>{state.count}</p>;
}

export function PeerBurst({ meter, mode }: { meter: Meter; mode: 'onMessage' | 'lastEvent' }) {
  return mode === 'onMessage' ? <PeerBurstOnMessage meter={meter} /> : <PeerBurstLastEvent meter={meter} />;
}
