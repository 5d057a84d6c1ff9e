import { URLPattern as URLPatternPolyfill } from 'urlpattern-polyfill/urlpattern';
import { LinearMatcher, WorkMeter, charClass, literal, notLineTerminator, oneOrMore, optional, sequence, zeroOrMore } from './linearMatcher.js';
import type { PatternNode } from './linearMatcher.js';

/** The subset of `URLPattern` the hub uses. */
export interface UrlPatternLike {
  /** Whether `input` (resolved against `baseURL`) matches; steps are charged to `meter` when given. */
  test(input: string, baseURL?: string, meter?: WorkMeter): boolean;
}

type Components = { readonly [K in Component]: string };

/**
 * The last topic parsed, split into components: one dispatch evaluates every pattern against the
 * same topic, which is then parsed once instead of once per pattern.
 */
let lastParsed: { input: string; base: string | undefined; components: Components | null } | undefined;

function parseTopic(input: string, base: string | undefined): Components | null {
  if (lastParsed !== undefined && lastParsed.input === input && lastParsed.base === base) return lastParsed.components;
  let components: Components | null;
  try {
    const url = new URL(input, base);
    components = {
      protocol: url.protocol.slice(0, -1),
      username: url.username,
      password: url.password,
      hostname: url.hostname,
      port: url.port,
      pathname: url.pathname,
      search: url.search.slice(1),
      hash: url.hash.slice(1),
    };
  } catch {
    components = null;
  }
  lastParsed = { input, base, components };
  return components;
}

type Component = 'protocol' | 'username' | 'password' | 'hostname' | 'port' | 'pathname' | 'search' | 'hash';
type CompiledPattern = { readonly [K in Component]: string } & { hasRegExpGroups?: boolean };
type UrlPatternConstructor = new (pattern: string, baseURL?: string) => CompiledPattern;

/** The native `URLPattern` when the platform has one, the polyfill otherwise. */
const UrlPatternImpl: UrlPatternConstructor =
  (globalThis as { URLPattern?: UrlPatternConstructor }).URLPattern ?? (URLPatternPolyfill as unknown as UrlPatternConstructor);

/** Wildcards and named groups allowed in one pattern. */
const MAX_PATTERN_TOKENS = 16;

/** Components in evaluation order: the most selective first, so a mismatch is found early. */
const COMPONENTS: readonly Component[] = ['pathname', 'hostname', 'protocol', 'port', 'search', 'hash', 'username', 'password'];
const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss'];

interface Part {
  readonly type: 'fixed' | 'segment' | 'full';
  readonly value: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly modifier: '' | '?' | '*' | '+';
}

interface Token {
  readonly type: 'char' | 'escaped' | 'name' | 'asterisk' | 'modifier' | 'open' | 'close' | 'end';
  readonly value: string;
}

const NAME_START = /[$_\p{ID_Start}]/u;
const NAME_PART = /[$_\u200c\u200d\p{ID_Continue}]/u;

/** Tokenizes a (normalized, already validated) URL Pattern component string. */
function tokenize(input: string): Token[] {
  const chars = [...input];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') tokens.push({ type: 'asterisk', value: c });
    else if (c === '+' || c === '?') tokens.push({ type: 'modifier', value: c });
    else if (c === '\\') tokens.push({ type: 'escaped', value: chars[++i] ?? '' });
    else if (c === '{') tokens.push({ type: 'open', value: c });
    else if (c === '}') tokens.push({ type: 'close', value: c });
    else if (c === ':') {
      let name = '';
      while (i + 1 < chars.length && (name === '' ? NAME_START : NAME_PART).test(chars[i + 1] as string)) name += chars[++i];
      if (name === '') throw new Error('a ":" starts no group name');
      tokens.push({ type: 'name', value: name });
    } else if (c === '(') throw new Error('regular-expression groups are not accepted');
    else tokens.push({ type: 'char', value: c });
  }
  tokens.push({ type: 'end', value: '' });
  return tokens;
}

/** The URL Pattern "parse a pattern string" algorithm, without regular-expression groups. */
function parseParts(input: string, prefixCodePoint: string): Part[] {
  const tokens = tokenize(input);
  const parts: Part[] = [];
  let index = 0;
  let pending = '';
  const take = (...types: Token['type'][]): Token | null => {
    const token = tokens[index] as Token;
    if (!types.includes(token.type)) return null;
    index++;
    return token;
  };
  const flush = (): void => {
    if (pending === '') return;
    parts.push({ type: 'fixed', value: pending, prefix: '', suffix: '', modifier: '' });
    pending = '';
  };
  const text = (): string => {
    let result = '';
    for (let t = take('char', 'escaped'); t !== null; t = take('char', 'escaped')) result += t.value;
    return result;
  };
  const addPart = (prefix: string, name: Token | null, wildcard: Token | null, suffix: string, modifierToken: Token | null): void => {
    const modifier = (modifierToken?.value ?? '') as Part['modifier'];
    if (name === null && wildcard === null && modifier === '') {
      pending += prefix;
      return;
    }
    flush();
    if (name === null && wildcard === null) {
      if (prefix !== '') parts.push({ type: 'fixed', value: prefix, prefix: '', suffix: '', modifier });
      return;
    }
    parts.push({ type: wildcard !== null ? 'full' : 'segment', value: '', prefix, suffix, modifier });
  };
  while (index < tokens.length) {
    const charToken = take('char');
    const name = take('name');
    const wildcard = name === null ? take('asterisk') : null;
    if (name !== null || wildcard !== null) {
      let prefix = charToken?.value ?? '';
      if (prefix !== prefixCodePoint) {
        pending += prefix;
        prefix = '';
      }
      flush();
      addPart(prefix, name, wildcard, '', take('modifier', 'asterisk'));
      continue;
    }
    const fixed = charToken ?? take('escaped');
    if (fixed !== null) {
      pending += fixed.value;
      continue;
    }
    if (take('open') !== null) {
      const prefix = text();
      const groupName = take('name');
      const groupWildcard = groupName === null ? take('asterisk') : null;
      const suffix = text();
      if (take('close') === null) throw new Error('a "{" group is not closed');
      addPart(prefix, groupName, groupWildcard, suffix, take('modifier', 'asterisk'));
      continue;
    }
    flush();
    if (take('end') === null) throw new Error(`unexpected "${(tokens[index] as Token).value}"`);
  }
  return parts;
}

const repeat = (node: PatternNode, modifier: Part['modifier']): PatternNode =>
  modifier === '?' ? optional(node) : modifier === '*' ? zeroOrMore(node) : modifier === '+' ? oneOrMore(node) : node;

/** The language of one component pattern, as the URL Pattern standard's generated regular expression defines it. */
function componentNode(parts: readonly Part[], delimiter: string): PatternNode {
  const delimiterCode = delimiter === '' ? -1 : delimiter.charCodeAt(0);
  const nodes = parts.map((part): PatternNode => {
    if (part.type === 'fixed') return repeat(literal(part.value), part.modifier);
    // `[^delimiter]+?` (any character when there is no delimiter) or `.*`.
    const value = part.type === 'segment' ? oneOrMore(charClass((c) => c !== delimiterCode)) : zeroOrMore(charClass(notLineTerminator));
    if (part.prefix === '' && part.suffix === '') return repeat(value, part.modifier);
    const prefix = literal(part.prefix);
    const suffix = literal(part.suffix);
    if (part.modifier === '' || part.modifier === '?') return repeat(sequence(prefix, value, suffix), part.modifier);
    const repeated = sequence(prefix, value, zeroOrMore(sequence(suffix, prefix, value)), suffix);
    return part.modifier === '*' ? optional(repeated) : repeated;
  });
  return sequence(...nodes);
}

/** A URL pattern evaluated component by component with {@link LinearMatcher}s. */
class LinearUrlPattern implements UrlPatternLike {
  readonly #components: readonly Component[];
  readonly #matchers: readonly LinearMatcher[];

  constructor(compiled: CompiledPattern) {
    const matchers = new Map<Component, LinearMatcher>();
    const protocol = new LinearMatcher(componentNode(parseParts(compiled.protocol, ''), ''));
    const special = SPECIAL_SCHEMES.some((scheme) => protocol.test(scheme));
    for (const component of COMPONENTS) {
      const source = compiled[component];
      if (source === '*') continue;
      if (component === 'protocol') {
        matchers.set(component, protocol);
        continue;
      }
      const pathLike = component === 'pathname' && special;
      const delimiter = component === 'hostname' ? '.' : pathLike ? '/' : '';
      matchers.set(component, new LinearMatcher(componentNode(parseParts(source, pathLike ? '/' : ''), delimiter)));
    }
    this.#components = [...matchers.keys()];
    this.#matchers = [...matchers.values()];
  }

  test(input: string, baseURL?: string, meter?: WorkMeter): boolean {
    // Parsing is charged by length (it is shared, but its cost is the caller's choice of topic).
    meter?.charge(1 + (input.length >> 6));
    const components = parseTopic(input, baseURL);
    if (components === null) return false;
    const matchers = this.#matchers;
    for (let i = 0; i < matchers.length; i++) {
      if (!(matchers[i] as LinearMatcher).test(components[this.#components[i] as Component], meter)) return false;
    }
    return true;
  }
}

/**
 * Compiles a URL pattern. Relative patterns resolve against `base`.
 *
 * The pattern is parsed and normalized by the platform's `URLPattern` (or the polyfill), then
 * evaluated by the hub's own matcher, which runs in time linear in the topic length: the
 * standard's backtracking regular expressions are never executed on subscriber-supplied
 * patterns. Patterns with custom regular-expression groups (`:id(\\d+)`) are refused, and so
 * are patterns with more than 16 wildcards and named groups.
 * @throws Error when the pattern is invalid or uses what the hub does not accept.
 */
export function compileUrlPattern(pattern: string, base: string): UrlPatternLike {
  const compiled = new UrlPatternImpl(pattern, base);
  if (compiled.hasRegExpGroups === true || /(^|[^\\])\(/.test(pattern)) {
    throw new Error(`URL pattern "${pattern}" uses regular-expression groups, which this hub does not accept`);
  }
  // Group names are identifiers, non-ASCII ones too (`:é`).
  const tokens = pattern.match(/\*|:[$_\p{ID_Start}]/gu)?.length ?? 0;
  if (tokens > MAX_PATTERN_TOKENS) throw new Error(`URL pattern "${pattern}" has more than ${MAX_PATTERN_TOKENS} wildcards and groups`);
  return new LinearUrlPattern(compiled);
}
