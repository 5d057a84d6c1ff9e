/// <reference types="vite/client" />
import type { Decorator, Preview } from '@storybook/react-vite';
import { HubFrame, type HubMode, type SseKitParameters } from '../stories/support/storyHub.js';
import '../src/ui/styles.css';
import './preview.css';

/**
 * Wraps every story in a fresh MockHub (or the local Node hub) and an `SseProvider`, with a bar to drop
 * connections and reject the next publish. Strips the hub's own args before they reach the story.
 */
const withHub: Decorator = (Story, context) => {
  const { hubLatency, ...args } = context.args as { hubLatency?: number } & Record<string, unknown>;
  const mode: HubMode = context.globals['hub'] === 'local' ? 'local' : 'mock';
  const theme = context.globals['theme'] === 'dark' ? 'dark' : context.globals['theme'] === 'light' ? 'light' : 'auto';
  const parameters = (context.parameters['sseKit'] ?? {}) as SseKitParameters;
  return (
    <HubFrame key={`${context.id}:${mode}`} mode={mode} latency={hubLatency ?? 0} theme={theme} parameters={parameters}>
      <Story args={args} />
    </HubFrame>
  );
};

const preview: Preview = {
  decorators: [withHub],
  globalTypes: {
    hub: {
      description: 'Which hub the stories talk to',
      toolbar: {
        title: 'Hub',
        icon: 'transfer',
        items: [
          { value: 'mock', title: 'Mocked hub' },
          { value: 'local', title: 'Local hub (npm run hub)' },
        ],
        dynamicTitle: true,
      },
    },
    theme: {
      description: 'Colour scheme of the components',
      toolbar: {
        title: 'Theme',
        icon: 'mirror',
        items: [
          { value: 'auto', title: 'System theme' },
          { value: 'light', title: 'Light' },
          { value: 'dark', title: 'Dark' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { hub: 'mock', theme: 'auto' },
  argTypes: {
    hubLatency: {
      name: 'Hub latency (ms)',
      description: 'Delay of every response and delivery of the mocked hub.',
      control: { type: 'range', min: 0, max: 3000, step: 50 },
      table: { category: 'Mocked hub' },
    },
  },
  args: { hubLatency: 0 },
  parameters: {
    layout: 'padded',
    controls: { expanded: true, sort: 'requiredFirst' },
    a11y: { test: 'error' },
    options: {
      storySort: { order: ['Introduction', 'Components', 'Playgrounds', 'Hooks'] },
    },
  },
  tags: ['autodocs'],
};

export default preview;
