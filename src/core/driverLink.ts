import type { AdapterRequest, ProtocolAdapter } from './protocols/types.js';

/**
 * What a driver's companions (a presence watch) reach besides its public API: the adapter in use
 * and requests sent with the driver's fetch and credentials. Kept out of the public API.
 */
export interface DriverLink {
  readonly adapter: ProtocolAdapter;
  /** Sends `request` with the driver's fetch, headers and subscriber credentials. */
  request(request: AdapterRequest): Promise<Response>;
}

const links = new WeakMap<object, DriverLink>();

/** Registers the link of a new driver. */
export function setDriverLink(driver: object, link: DriverLink): void {
  links.set(driver, link);
}

/** The link of `driver`, if it is an `SseDriver`. */
export function driverLink(driver: object): DriverLink | undefined {
  return links.get(driver);
}
