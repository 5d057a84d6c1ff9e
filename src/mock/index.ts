export { MockHub } from './MockHub.js';
export type { FailNextOptions, MockHubEventMap, MockHubOptions, MockLatency, MockRequestRecord, MockSubscription } from './types.js';
export { HubError } from '../hub/engine/index.js';
export type { ConnectionInfo, DispatchReport, HubUpdate, PublishInput, HubKey, HubLogger, HubTimers } from '../hub/engine/index.js';
