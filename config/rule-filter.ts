// A rule's tag filter, written the way InfluxQL writes a WHERE on tags: `host =~ /web.*/ AND
// region = 'eu'`. Conditions joined by AND; each a tag key (bare or double-quoted), an operator (=, !=,
// =~, !~) and a value (single-quoted string, or /regex/ for =~ and !~). Parsed once, matched per series.

export interface TagCondition {
  readonly tag: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

const CONDITION = /^\s*("(?:[^"\\]|\\.)+"|[A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!~|!=|=)\s*('(?:[^'\\]|\\.)*'|\/(?:[^/\\]|\\.)*\/)\s*/;

const unquote = (text: string): string => text.slice(1, -1).replace(/\\(.)/g, '$1');

/** The conditions of `filter` (empty or blank: none); throws FilterSyntaxError saying where it stopped. */
export function parseTagFilter(filter: string): TagCondition[] {
  const conditions: TagCondition[] = [];
  let rest = filter.trim();
  while (rest !== '') {
    const match = CONDITION.exec(rest);
    if (match === null) throw new FilterSyntaxError(`cannot read a condition at "${rest.slice(0, 40)}": expected tag = 'value', tag != 'value', tag =~ /regex/ or tag !~ /regex/`);
    const [whole, rawTag, op, rawValue] = match as unknown as [string, string, TagCondition['op'], string];
    const regex = rawValue.startsWith('/');
    if (regex !== (op === '=~' || op === '!~')) throw new FilterSyntaxError(`${rawTag} ${op} ${rawValue}: ${regex ? 'a /regex/ goes with =~ or !~' : `${op} takes a /regex/`}`);
    const value = regex ? rawValue.slice(1, -1).replace(/\\\//g, '/') : unquote(rawValue);
    if (regex) {
      try {
        new RegExp(value);
      } catch (err) {
        throw new FilterSyntaxError(`${rawTag} ${op} ${rawValue}: ${(err as Error).message}`);
      }
    }
    conditions.push({ tag: rawTag.startsWith('"') ? unquote(rawTag) : rawTag, op, value });
    rest = rest.slice(whole.length);
    if (rest === '') break;
    const and = /^AND\s+/i.exec(rest);
    if (and === null) throw new FilterSyntaxError(`expected AND between conditions at "${rest.slice(0, 40)}"`);
    rest = rest.slice(and[0].length);
  }
  return conditions;
}

/** A matcher of tag sets for the conditions (a missing tag counts as the empty string, as in InfluxQL). */
export function tagMatcher(conditions: readonly TagCondition[]): (tags: Readonly<Record<string, string>>) => boolean {
  const tests = conditions.map((condition) => {
    if (condition.op === '=') return (v: string) => v === condition.value;
    if (condition.op === '!=') return (v: string) => v !== condition.value;
    const regex = new RegExp(condition.value);
    return condition.op === '=~' ? (v: string) => regex.test(v) : (v: string) => !regex.test(v);
  });
  return (tags) => conditions.every((condition, i) => (tests[i] as (v: string) => boolean)(tags[condition.tag] ?? ''));
}
