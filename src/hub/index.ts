export { createHub } from './node/createHub.js';
export type { CreateHubOptions, NodeHub } from './node/createHub.js';
export { consoleLogger } from './node/consoleLogger.js';
export { HubTransportError, RedisTransport } from './engine/transport/RedisTransport.js';
export type { RedisTransportOptions } from './engine/transport/RedisTransport.js';
// The platform-neutral engine, with its explicit export list, is part of the public hub API.
export * from './engine/index.js';
