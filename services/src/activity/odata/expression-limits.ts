// Limits on $filter and $orderby before @odata/parser sees them. The parser is a synchronous
// recursive-descent parser whose time grows faster than linearly with nesting: 2,000 nested
// parentheses take seconds of CPU, during which the process answers nothing (health probes
// included). A bracket depth over MAX_DEPTH (outside '...' literals, where a parenthesis is text)
// or a text over MAX_LENGTH is refused with a fixed message, before any parsing.
//
// MAX_LENGTH is sized for Salesforce Connect's IN lists: a 300-term `UserId eq '...' or ...`
// with 11-character ids (fit-0000001) is about 8.1 KB decoded and parses in ~100 ms; 12 KB leaves
// room for ids up to ~25 characters. Flat lists parse in linear time, so the length bounds their
// cost. (Node's default header limit, 16 KiB for the request line and headers, is the outer one.)
import { badRequest } from './errors.ts';

export const MAX_EXPRESSION_LENGTH = 12_288;
export const MAX_EXPRESSION_DEPTH = 32;

/** The deepest bracket nesting of `text`, not counting brackets inside '...' literals. */
export function bracketDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quoted = false;
  for (const char of text) {
    // A doubled '' inside a literal toggles twice: still inside, as it should be.
    if (char === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (char === '(' || char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ')' || char === ']' || char === '}') depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** Refuses (400) a decoded $filter / $orderby value too long or too deeply nested to parse. */
export function checkExpressionSize(text: string, option: '$filter' | '$orderby'): void {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw badRequest(`${option} is longer than ${MAX_EXPRESSION_LENGTH} characters.`);
  }
  if (bracketDepth(text) > MAX_EXPRESSION_DEPTH) {
    throw badRequest(`${option} nests parentheses deeper than ${MAX_EXPRESSION_DEPTH} levels.`);
  }
}
