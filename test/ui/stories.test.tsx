/// <reference types="vite/client" />
import { composeStories } from '@storybook/react-vite';
import { cleanup, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { annotations, axeViolations, captureConsoleErrors, installScrollGeometry } from './storySupport.js';

installScrollGeometry();
const consoleErrors = captureConsoleErrors();

type StoryModule = Parameters<typeof composeStories>[0];

/** A composed story: a component, with its `play` function when it has one. */
type ComposedStory = (() => ReactElement) & { play?: (context: { canvasElement: HTMLElement }) => Promise<void> };
const modules = import.meta.glob<StoryModule>('../../stories/**/*.stories.tsx', { eager: true });

afterEach(() => cleanup());

describe.each(Object.entries(modules))('%s', (_path, module) => {
  const stories = Object.entries(composeStories(module) as unknown as Record<string, ComposedStory>);

  it.each(stories)('%s renders, plays and logs no errors', async (_name, Story) => {
    await annotations.beforeAll?.();
    const { container } = render(<Story />);
    if (Story.play) await Story.play({ canvasElement: container });
    expect(consoleErrors.take()).toEqual([]);
    expect(await axeViolations(container)).toEqual([]);
    // Play functions wait for hub events with a generous bound (stories/support/play.ts); so may the test.
  }, 120_000);
});
