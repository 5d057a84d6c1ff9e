import { SseError } from '../core/errors.js';

/**
 * The error a hook throws when no {@link SseProvider} is above it.
 * @param hook - the hook's name, for the message.
 */
export function missingProviderError(hook: string): SseError {
  return new SseError('misuse', `${hook}() must be used inside an <SseProvider>: wrap the component tree in <SseProvider url="…"> or <SseProvider driver={driver}>.`);
}
