import { MockHub } from '../../src/mock/index.js';
import { createHub } from '../../src/hub/index.js';
import { describeHubProtocol } from './hubSuite.js';

describeHubProtocol('MockHub', async (options) => {
  const hub = new MockHub(options);
  return { url: hub.url, fetch: hub.fetch, engine: hub.engine, close: async () => hub.close() };
});

describeHubProtocol('Node hub', async (options) => {
  const hub = await createHub({ ...options, port: 0, log: false });
  return { url: hub.url, fetch: (input, init) => fetch(input, init), engine: hub.engine, close: () => hub.close() };
});
