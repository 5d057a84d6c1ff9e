import { SseError } from '../core/errors.js';

/**
 * The error a hook throws when no {@link SseProvider} is above it.
 * @param hook - the hook's name, for the message.
 */
export function missingProviderError(hook: string): SseError {
  return new SseError('misuse', `${hook}() must be used inside an <SseProvider>: wrap the component tree in <SseProvider url="…"> or <SseProvider driver={driver}>.`);
}

/** The error an {@link SseProvider} throws when it lost its `driver` prop: it made no driver of its own. */
export function missingDriverError(): SseError {
  return new SseError(
    'misuse',
    '<SseProvider> was first rendered with a driver and now without one: a provider keeps to one mode, so give it a key that changes with the mode.',
  );
}
