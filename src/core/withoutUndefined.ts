/**
 * A copy of `options` without its `undefined` entries, so that spreading it over defaults
 * (`{ ...defaults, ...withoutUndefined(options) }`) keeps a default wherever an option is given as
 * `undefined`: public option types accept an explicit `undefined` and treat it as an absent key.
 */
export function withoutUndefined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) defined[key] = value;
  return defined as { [K in keyof T]?: Exclude<T[K], undefined> };
}
