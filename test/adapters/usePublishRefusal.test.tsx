// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SseDriver } from '../../src/core/SseDriver.js';
import { channels } from '../../src/core/protocols/channels.js';
import { sse } from '../../src/core/protocols/sse.js';
import type { ServerOption } from '../../src/core/protocols/types.js';
import type { PublishOptions } from '../../src/core/types.js';
import { SseProvider, usePublish, useTopic, type UsePublishResult } from '../../src/react/index.js';

afterEach(() => cleanup());

/** A server that never answers: the driver never opens, so a queued publish waits. */
const silent = () => new Promise<Response>(() => {});

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
  );

describe("usePublish({ queue: true }) refuses at once what the server's adapter refuses", () => {
  it.each<[string, ServerOption, unknown, PublishOptions]>([
    ['a channel server, an event type of its own', channels, 'hi', { type: 'lastEvent' }],
    ['a channel server, an empty payload', channels, '', { raw: true }],
    ['a plain SSE endpoint without publishUrl', () => sse(), 'hi', {}],
  ])('%s: the error the driver gives, while connecting, not from a later flush', async (_, server, data, options) => {
    const driver = new SseDriver({ url: 'http://127.0.0.1:9/hub', server, fetch: silent, tabs: false, platform: { events: undefined } });
    const expected = await outcome(driver.publish('c', data, options));
    expect(expected).toMatch(/^(misuse|unsupported): /);
    let pub: UsePublishResult | undefined;
    function Sender() {
      useTopic('c', { raw: true });
      pub = usePublish('c', { queue: true });
      return null;
    }
    render(
      <SseProvider driver={driver}>
        <Sender />
      </SseProvider>,
    );
    // About to connect (a subscription, no stream open yet): a queued publish would wait for the open.
    expect(driver.getSnapshot().status).not.toBe('open');
    expect(driver.getSubscriptions()).toHaveLength(1);
    let got: string | undefined;
    // At once: nothing the server says could settle it.
    await act(async () => {
      void outcome(pub!.publishAsync(data, options)).then((value) => (got = value));
    });
    expect(got).toBe(expected);
    expect(pub?.status).toBe('error');
    driver.destroy();
  });
});
