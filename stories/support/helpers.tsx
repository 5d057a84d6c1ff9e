import { useEffect, useRef, useState } from 'react';
import { SseDriver } from '../../src/index.js';
import { useTopic } from '../../src/react/index.js';
import { useStoryHub } from './storyHub.js';

/** Holds a subscription so the provider connects; renders nothing. */
export function Subscribe({ topic }: { topic: string }) {
  useTopic(topic);
  return null;
}

/** A second client on the story's hub (a simulated publisher), destroyed on unmount. */
export function useStoryClient(): SseDriver {
  const { driverOptions } = useStoryHub();
  const [driver] = useState(() => new SseDriver(driverOptions()));
  useEffect(() => () => driver.destroy(), [driver]);
  return driver;
}

/**
 * Publishes `make(n)` to `topic` from a separate client, `n` counting from 1: the first once the story's
 * own subscription is live at the hub (so nothing is missed), then one every `interval` ms. Stops after
 * `limit` publishes when given.
 */
export function usePublisherLoop(topic: string, interval: number, make: (n: number) => unknown, options: { limit?: number; enabled?: boolean } = {}): number {
  const client = useStoryClient();
  const { hub } = useStoryHub();
  const makeRef = useRef(make);
  makeRef.current = make;
  const [sent, setSent] = useState(0);
  const { limit, enabled = true } = options;
  useEffect(() => {
    if (!enabled) return undefined;
    let n = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    let cancelled = false;
    const publishNext = () => {
      if (limit !== undefined && n >= limit) {
        clearInterval(timer);
        return;
      }
      n += 1;
      client.publish(topic, makeRef.current(n) as never).then(
        () => setSent((count) => count + 1),
        () => undefined,
      );
    };
    void (hub ? hub.waitForConnections(1) : Promise.resolve()).then(
      () => {
        if (cancelled) return;
        publishNext();
        timer = setInterval(publishNext, interval);
      },
      // The hub closed first (the story went away): nothing to publish.
      () => undefined,
    );
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [client, hub, topic, interval, limit, enabled]);
  return sent;
}

/** Publishes each of `items` once, in order, when the story mounts. */
export function useSeed(topic: string, items: readonly unknown[]): boolean {
  const client = useStoryClient();
  const { hub } = useStoryHub();
  const [done, setDone] = useState(false);
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      // Publish once the story's own subscription is live, so nothing is missed.
      if (hub) {
        // Rejects when the hub closed first (the story went away): nothing to seed.
        if (!(await hub.waitForConnections(1).then(() => true, () => false))) return;
      } else await new Promise((resolve) => setTimeout(resolve, 500));
      for (const item of items) {
        if (cancelled) return;
        await client.publish(topic, item as never).catch(() => undefined);
      }
      if (!cancelled) setDone(true);
    })();
    return () => {
      cancelled = true;
    };
    // The seed runs once per mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, hub, topic]);
  return done;
}
