import { LinearMatcher, WorkMeter, charClass, literal, notLineTerminator, optional, sequence, zeroOrMore } from './linearMatcher.js';
import type { PatternNode } from './linearMatcher.js';

/** Maximum number of `{…}` expressions in one template, which bounds matching cost. */
const MAX_EXPRESSIONS = 16;

interface TemplatePiece {
  readonly literal: string;
  /** The operator of the expression after the literal (`''` for simple), or `null` at the end. */
  readonly operator: string | null;
}

/** Splits a template into literals and expression operators, validating it. */
function parseTemplate(template: string): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  let expressions = 0;
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf('{', index);
    const close = template.indexOf('}', index);
    if (open === -1) {
      if (close !== -1) throw new Error(`unbalanced "}" in URI template "${template}"`);
      break;
    }
    if (close !== -1 && close < open) throw new Error(`unbalanced "}" in URI template "${template}"`);
    const end = template.indexOf('}', open);
    if (end === -1) throw new Error(`unclosed "{" in URI template "${template}"`);
    const body = template.slice(open + 1, end);
    if (body === '' || body.includes('{')) throw new Error(`malformed expression in URI template "${template}"`);
    const first = body[0] ?? '';
    const operator = '+#./;?&'.includes(first) ? first : '';
    const names = body.slice(operator.length);
    if (!/^[A-Za-z0-9_.%]+(?::[1-9][0-9]{0,3}|\*)?(?:,[A-Za-z0-9_.%]+(?::[1-9][0-9]{0,3}|\*)?)*$/.test(names)) {
      throw new Error(`malformed variable list "${names}" in URI template "${template}"`);
    }
    if (++expressions > MAX_EXPRESSIONS) throw new Error(`URI template "${template}" has more than ${MAX_EXPRESSIONS} expressions`);
    pieces.push({ literal: template.slice(index, open), operator });
    index = end + 1;
  }
  pieces.push({ literal: template.slice(index), operator: null });
  return pieces;
}


const not =
  (...excluded: string[]) =>
  (code: number): boolean =>
    !excluded.some((c) => c.charCodeAt(0) === code);

/** The expansions of one expression, by operator. */
function expressionNode(operator: string): PatternNode {
  switch (operator) {
    case '+':
      return zeroOrMore(charClass(not('?', '#')));
    case '#':
      return optional(sequence(literal('#'), zeroOrMore(charClass(notLineTerminator))));
    case '.':
      return zeroOrMore(sequence(literal('.'), zeroOrMore(charClass(not('/', '?', '#', '.')))));
    case '/':
    case ';':
      return zeroOrMore(sequence(literal(operator), zeroOrMore(charClass(not('/', '?', '#')))));
    case '?':
    case '&':
      return optional(sequence(literal(operator), zeroOrMore(charClass(not('#')))));
    default:
      return zeroOrMore(charClass(not('/', '?', '#')));
  }
}

/**
 * Compiles an RFC 6570 URI template (as the legacy 0.x wire format uses them as topic
 * selectors, e.g. `https://example.com/books/{id}`) into a matcher of every expansion of the
 * template. Matching runs in time linear in the topic length, whatever the template.
 * @throws Error when the template is malformed or has more than 16 expressions.
 */
export function compileUriTemplate(template: string): { test(topic: string, meter?: WorkMeter): boolean } {
  const nodes: PatternNode[] = [];
  for (const piece of parseTemplate(template)) {
    nodes.push(literal(piece.literal));
    if (piece.operator !== null) nodes.push(expressionNode(piece.operator));
  }
  return new LinearMatcher(sequence(...nodes));
}
