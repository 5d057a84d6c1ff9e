import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CHANNEL_PROBE } from './server.js';

type Listener = (...args: unknown[]) => void;

/** A preview channel as the probe sees it: `on` and `emit`. */
class FakeChannel {
  readonly emitted: Array<{ type: string; args: unknown[] }> = [];
  private readonly listeners = new Map<string, Listener[]>();
  on(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, ...args: unknown[]): void {
    this.emitted.push({ type, args });
    for (const listener of this.listeners.get(type) ?? []) listener(...args);
  }
}

interface ProbeWindow {
  __sseKitStory: { id: string | undefined; status: string; messages: string[] };
  __sseKitSettled: () => Promise<void>;
  __sseKitShow: (id: string, viewMode: string) => Promise<void>;
  __STORYBOOK_ADDONS_CHANNEL__: FakeChannel;
}

/** The probe installed in a bare window, with Storybook's channel set as its preview does. */
function install(): { window: ProbeWindow; channel: FakeChannel; phase: (storyId: string, renderId: number, newPhase: string) => void } {
  const window = {} as ProbeWindow;
  runInNewContext(CHANNEL_PROBE, { window, console: { debug: () => undefined } });
  const channel = new FakeChannel();
  window.__STORYBOOK_ADDONS_CHANNEL__ = channel;
  const phase = (storyId: string, renderId: number, newPhase: string): void => channel.emit('storyRenderPhaseChanged', { storyId, renderId, newPhase });
  return { window, channel, phase };
}

/** Whether `promise` has settled once pending callbacks ran. */
async function isDone(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const STORY = 'adapters-channel-server--two-users';
const DOCS = 'adapters-channel-server--docs';
const INLINE = 1;
const MAIN = 2;

describe('CHANNEL_PROBE', () => {
  it("takes a story's outcome from its own render, not from the docs page's inline render of the same story finishing in the background", async () => {
    // The sequence seen in Chromium when a page moves from a docs page to one of its stories.
    const { window, channel, phase } = install();
    channel.emit('docsRendered', DOCS);
    expect(window.__sseKitStory.status).toBe('success');
    for (const p of ['loading', 'rendering', 'completing']) phase(STORY, INLINE, p);
    // The switch as __sseKitShow makes it (without its wait, which the runner of the time passed).
    window.__sseKitStory = { id: STORY, status: 'pending', messages: [] };
    channel.emit('setCurrentStory', { storyId: STORY, viewMode: 'story' });
    for (const p of ['preparing', 'loading', 'rendering', 'playing']) phase(STORY, MAIN, p);
    // The inline render, torn down, goes on to its end and says the story finished.
    for (const p of ['aborted', 'completed', 'aborted', 'afterEach', 'aborted', 'finished']) phase(STORY, INLINE, p);
    channel.emit('storyFinished', { storyId: STORY, status: 'success', reporters: [] });
    expect(window.__sseKitStory.status).toBe('pending');
    for (const p of ['played', 'completing', 'completed', 'afterEach', 'finished']) phase(STORY, MAIN, p);
    channel.emit('storyFinished', { storyId: STORY, status: 'success', reporters: [] });
    expect(window.__sseKitStory.status).toBe('success');
  });

  it('is settled only once every render has finished: a render between two pending phases is not (its axe check is to come)', async () => {
    const { window, phase } = install();
    for (const p of ['preparing', 'loading', 'rendering', 'playing']) phase(STORY, MAIN, p);
    const settled = window.__sseKitSettled();
    for (const p of ['played', 'completing', 'completed']) {
      phase(STORY, MAIN, p);
      expect(await isDone(settled), `settled at '${p}'`).toBe(false);
    }
    phase(STORY, MAIN, 'afterEach');
    expect(await isDone(settled)).toBe(false);
    phase(STORY, MAIN, 'finished');
    expect(await isDone(settled)).toBe(true);
  });

  it('does not switch to the next entry while a render is between two pending phases', async () => {
    const { window, channel, phase } = install();
    for (const p of ['preparing', 'loading', 'rendering', 'playing', 'played', 'completing']) phase(STORY, MAIN, p);
    const shown = window.__sseKitShow('adapters-token-stream--back-end-publishes', 'story');
    expect(await isDone(shown)).toBe(false);
    expect(channel.emitted.some((e) => e.type === 'setCurrentStory')).toBe(false);
    for (const p of ['completed', 'afterEach', 'finished']) phase(STORY, MAIN, p);
    await shown;
    expect(channel.emitted.filter((e) => e.type === 'setCurrentStory')).toEqual([{ type: 'setCurrentStory', args: [{ storyId: 'adapters-token-stream--back-end-publishes', viewMode: 'story' }] }]);
  });

  it('no longer waits for a render torn down (aborted), nor for one still preparing', async () => {
    const { window, phase } = install();
    for (const p of ['loading', 'rendering', 'completing', 'aborted']) phase(STORY, INLINE, p);
    phase(STORY, MAIN, 'preparing');
    expect(await isDone(window.__sseKitSettled())).toBe(true);
    phase(STORY, INLINE, 'afterEach');
    expect(await isDone(window.__sseKitSettled())).toBe(true);
  });
});
