/** Maximum number of `{…}` expressions in one template, which bounds matching cost. */
const MAX_EXPRESSIONS = 16;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Regular-expression fragment matching the expansion of one expression, by operator. */
function expressionPattern(operator: string): string {
  switch (operator) {
    case '+':
      return '[^?#]*';
    case '#':
      return '(?:#.*)?';
    case '.':
      return '(?:\\.[^/?#.]*)*';
    case '/':
      return '(?:/[^/?#]*)*';
    case ';':
      return '(?:;[^/?#]*)*';
    case '?':
      return '(?:\\?[^#]*)?';
    case '&':
      return '(?:&[^#]*)?';
    default:
      return '[^/?#]*';
  }
}

/**
 * Compiles an RFC 6570 URI template (as the legacy 0.x wire format uses them as topic
 * selectors, e.g. `https://example.com/books/{id}`) into an anchored regular expression
 * matching every expansion of the template.
 * @throws Error when the template is malformed or has too many expressions.
 */
export function uriTemplateToRegExp(template: string): RegExp {
  let source = '^';
  let expressions = 0;
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf('{', index);
    const close = template.indexOf('}', index);
    if (open === -1) {
      if (close !== -1) throw new Error(`unbalanced "}" in URI template "${template}"`);
      source += escapeRegExp(template.slice(index));
      break;
    }
    if (close !== -1 && close < open) throw new Error(`unbalanced "}" in URI template "${template}"`);
    source += escapeRegExp(template.slice(index, open));
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
    source += expressionPattern(operator);
    index = end + 1;
  }
  return new RegExp(`${source}$`);
}
