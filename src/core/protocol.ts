/** The Mercure publish body encoder, at its former module path (used by the signaling layer). */
export { buildPublishBody } from './protocols/mercure.js';
export type { PublishInput as PublishFields } from './protocols/types.js';
