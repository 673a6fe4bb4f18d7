// Merging the answers of several nodes into the answer one influxd holding all the data gives, row by
// row. The expected answers of the influxd rows were taken from a real influxd 1.6.7 holding all the
// data; the node answers are what a node holding only its own measurements answers to the same text.
import { describe, expect, it } from 'vitest';
import { prng } from './helpers/random.js';
import { JsonNumber, parseJson, type JsonValue } from '../proxy/json-lossless.js';
import { compareBytes, mergeList, mergeSeries, mergeSum, seriesOrderKey, type NodeAnswer, type Series, type SeriesMergeOptions, type StatementResult } from '../proxy/query-merge.js';

const n = (text: string): JsonNumber => new JsonNumber(text);

function series(name: string | undefined, tags: Record<string, string> | undefined, columns: string[], values?: JsonValue[][]): Series {
  return {
    ...(name === undefined ? {} : { name }),
    ...(tags === undefined ? {} : { tags }),
    columns,
    ...(values === undefined ? {} : { values }),
  };
}

function answer(node: string, ...s: Series[]): NodeAnswer {
  return { node, result: s.length === 0 ? { statement_id: 0 } : { statement_id: 0, series: s } };
}

function failed(node: string, error: string): NodeAnswer {
  return { node, result: { statement_id: 0, error } };
}

/** The one statement result of an influxd body, as the merge functions see it. */
function resultOf(body: string): StatementResult {
  const doc = parseJson(body) as unknown as { results: { statement_id: JsonNumber; series?: Series[] }[] };
  const first = doc.results[0];
  if (first === undefined) throw new Error('no result');
  return { ...first, statement_id: Number(first.statement_id) };
}

/** A series of `SELECT v … GROUP BY host` with one row, keyed by its measurement and host. */
const hostSeries = (name: string, host: string, v = '1'): Series => series(name, { host }, ['time', 'v'], [['1970-01-01T00:00:00.000000001Z', n(v)]]);

// ---------------------------------------------------------------------------------------------------

interface SeriesRow {
  readonly name: string;
  readonly answers: readonly NodeAnswer[];
  readonly options: SeriesMergeOptions;
  readonly expected: StatementResult;
}

const EMOJI = '\u{1F600}'; // UTF-8 F0 9F 98 80, UTF-16 D83D DE00
const FULLWIDTH_A = '\uFF21'; // UTF-8 EF BC A1: before the emoji bytewise, after it in UTF-16 order

const orderRows: readonly SeriesRow[] = [
  {
    name: 'by measurement name, whichever node answered first',
    answers: [answer('a1', series('mem', undefined, ['time', 'v'])), answer('a2', series('cpu', undefined, ['time', 'v']), series('disk', undefined, ['time', 'v']))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: ['cpu', 'disk', 'mem'].map((m) => series(m, undefined, ['time', 'v'])) },
  },
  {
    name: 'names bytewise: upper case first, UTF-8 order (not UTF-16)',
    answers: [answer('a1', ...['b', EMOJI, 'a'].map((m) => series(m, undefined, ['time']))), answer('a2', ...[FULLWIDTH_A, 'B'].map((m) => series(m, undefined, ['time'])))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: ['B', 'a', 'b', FULLWIDTH_A, EMOJI].map((m) => series(m, undefined, ['time'])) },
  },
  {
    name: 'then by tags: a < ab < b',
    answers: [answer('a1', hostSeries('cpu', 'b'), hostSeries('cpu', 'ab')), answer('a2', hostSeries('cpu', 'a'))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: [hostSeries('cpu', 'a'), hostSeries('cpu', 'ab'), hostSeries('cpu', 'b')] },
  },
  {
    name: 'then by tags: the first key decides, then the next',
    answers: [
      answer(
        'a1',
        series('cpu', { host: 'b', region: 'a' }, ['time']),
        series('cpu', { host: 'a', region: 'y' }, ['time']),
        series('cpu', { region: 'x', host: 'a' }, ['time']),
      ),
    ],
    options: { statementId: 0 },
    expected: {
      statement_id: 0,
      series: [series('cpu', { region: 'x', host: 'a' }, ['time']), series('cpu', { host: 'a', region: 'y' }, ['time']), series('cpu', { host: 'b', region: 'a' }, ['time'])],
    },
  },
  {
    name: 'tag values bytewise',
    answers: [answer('a1', hostSeries('cpu', EMOJI), hostSeries('cpu', 'z')), answer('a2', hostSeries('cpu', FULLWIDTH_A), hostSeries('cpu', 'Z'))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: ['Z', 'z', FULLWIDTH_A, EMOJI].map((h) => hostSeries('cpu', h)) },
  },
  {
    // influxd 1.6.7, `SELECT v FROM a, b, B GROUP BY host` over B{a}, a{a,z}, b{a,b,c}.
    name: 'by name then tags (influxd: SELECT v FROM a, b, B GROUP BY host)',
    answers: [
      answer('a1', hostSeries('b', 'a', '1'), hostSeries('b', 'b', '2'), hostSeries('b', 'c', '3'), hostSeries('B', 'a')),
      answer('a2', hostSeries('a', 'a'), hostSeries('a', 'z')),
    ],
    options: { statementId: 0 },
    expected: resultOf(
      '{"results":[{"statement_id":0,"series":[{"name":"B","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"a","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"a","tags":{"host":"z"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"b","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"b","tags":{"host":"b"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",2]]},{"name":"b","tags":{"host":"c"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",3]]}]}]}',
    ),
  },
];

// SLIMIT / SOFFSET. influxd 1.6.7 applies SLIMIT and SOFFSET to each measurement's series on its own
// (checked: `SELECT v FROM a, b, B GROUP BY host SLIMIT 1` answers B{a}, a{a} and b{a}), and every
// measurement lives on one node per circle: the plan sends them to the nodes unchanged, each node applies
// them exactly, and the merge must keep every series the nodes answered (never apply them again across
// measurements).
const limitRows: readonly SeriesRow[] = [
  {
    name: 'the merge drops no series: a node\'s answer is kept whole, only put in order',
    answers: [answer('a1', hostSeries('cpu', 'c'), hostSeries('cpu', 'a'), hostSeries('cpu', 'b'), hostSeries('cpu', 'd'))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: ['a', 'b', 'c', 'd'].map((h) => hostSeries('cpu', h)) },
  },
  {
    // Nodes ran `… GROUP BY host SOFFSET 1` over b{a,b,c} and a{a,z}: each skipped its measurement's first series.
    name: 'SOFFSET alone: applied by the nodes, not again by the merge',
    answers: [answer('a1', hostSeries('b', 'b', '2'), hostSeries('b', 'c', '3')), answer('a2', hostSeries('a', 'z'))],
    options: { statementId: 0 },
    expected: { statement_id: 0, series: [hostSeries('a', 'z'), hostSeries('b', 'b', '2'), hostSeries('b', 'c', '3')] },
  },
  {
    // Nodes ran `… GROUP BY host SOFFSET 5`: no measurement has that many series.
    name: 'SOFFSET past every measurement\'s last series: the nodes answer nothing, no series',
    answers: [answer('a1'), answer('a2')],
    options: { statementId: 0 },
    expected: { statement_id: 0 },
  },
  {
    // Nodes ran `… GROUP BY host SLIMIT 1`, as sent.
    name: 'SLIMIT 1 applies per measurement (influxd: SELECT v FROM a, b, B GROUP BY host SLIMIT 1)',
    answers: [answer('a1', hostSeries('b', 'a'), hostSeries('B', 'a')), answer('a2', hostSeries('a', 'a'))],
    options: { statementId: 0 },
    expected: resultOf(
      '{"results":[{"statement_id":0,"series":[{"name":"B","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"a","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"b","tags":{"host":"a"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]}]}]}',
    ),
  },
  {
    // Nodes ran `… GROUP BY host SLIMIT 2 SOFFSET 1`, as sent: a1 over b{a,b,c} and B{a} (B has no second
    // series), a2 over a{a,z}.
    name: 'SLIMIT 2 SOFFSET 1 apply per measurement (influxd: SELECT v FROM a, b, B GROUP BY host SLIMIT 2 SOFFSET 1)',
    answers: [answer('a1', hostSeries('b', 'b', '2'), hostSeries('b', 'c', '3')), answer('a2', hostSeries('a', 'z'))],
    options: { statementId: 0 },
    expected: resultOf(
      '{"results":[{"statement_id":0,"series":[{"name":"a","tags":{"host":"z"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",1]]},{"name":"b","tags":{"host":"b"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",2]]},{"name":"b","tags":{"host":"c"},"columns":["time","v"],"values":[["1970-01-01T00:00:00.000000001Z",3]]}]}]}',
    ),
  },
];

const wildcardRows: readonly SeriesRow[] = [
  {
    // Each node answered `SELECT * FROM cpu, mem` with the one measurement it holds; influxd holding both
    // answers every series with the union of the columns.
    name: 'union of the columns: time first, the rest sorted, nulls filled (influxd: SELECT * FROM cpu, mem)',
    answers: [
      answer(
        'a2',
        ...(resultOf(
          '{"results":[{"statement_id":0,"series":[{"name":"mem","columns":["time","free","host","s"],"values":[[1000000000,10,"a","x\\u003cy\\u0026z"],[2000000000,11,"a",null]]}]}]}',
        ).series ?? []),
      ),
      answer(
        'a1',
        ...(resultOf(
          '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","host","n","region","usage"],"values":[[1000000000,"b",9223372036854775807,"x",1.5],[2000000000,"a",null,null,2],[3000000000,"a",null,null,3]]}]}]}',
        ).series ?? []),
      ),
    ],
    options: { statementId: 0, wildcard: true },
    expected: resultOf(
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","free","host","n","region","s","usage"],"values":[[1000000000,null,"b",9223372036854775807,"x",null,1.5],[2000000000,null,"a",null,null,null,2],[3000000000,null,"a",null,null,null,3]]},{"name":"mem","columns":["time","free","host","n","region","s","usage"],"values":[[1000000000,10,"a",null,null,"x\\u003cy\\u0026z",null],[2000000000,11,"a",null,null,null,null]]}]}]}',
    ),
  },
  {
    name: 'columns sorted bytewise after time',
    answers: [answer('a1', series('m1', undefined, ['time', 'b', 'B'], [[n('1'), n('2'), n('3')]])), answer('a2', series('m2', undefined, ['time', 'a'], [[n('1'), n('4')]]))],
    options: { statementId: 0, wildcard: true },
    expected: {
      statement_id: 0,
      series: [series('m1', undefined, ['time', 'B', 'a', 'b'], [[n('1'), n('3'), null, n('2')]]), series('m2', undefined, ['time', 'B', 'a', 'b'], [[n('1'), null, n('4'), null]])],
    },
  },
  {
    // mem was read but its node had no rows: its columns still belong in influxd's union.
    name: 'columns of a measurement that gave no series are in the union',
    answers: [answer('a1', series('cpu', undefined, ['time', 'host', 'usage'], [[n('1'), 'a', n('2')]])), answer('a2')],
    options: { statementId: 0, wildcard: true, extraColumns: ['time', 'free', 'usage'] },
    expected: { statement_id: 0, series: [series('cpu', undefined, ['time', 'free', 'host', 'usage'], [[n('1'), null, 'a', n('2')]])] },
  },
  {
    // `SELECT * FROM cpu, mem GROUP BY host`: host is a tag of the series, not a column.
    name: 'an extra column that is a grouped tag stays out',
    answers: [answer('a1', series('cpu', { host: 'a' }, ['time', 'usage'], [[n('1'), n('2')]])), answer('a2')],
    options: { statementId: 0, wildcard: true, extraColumns: ['host', 'free'] },
    expected: { statement_id: 0, series: [series('cpu', { host: 'a' }, ['time', 'free', 'usage'], [[n('1'), null, n('2')]])] },
  },
  {
    name: 'not a wildcard: extra columns are ignored',
    answers: [answer('a1', series('cpu', undefined, ['time', 'usage'], [[n('1'), n('2')]])), answer('a2')],
    options: { statementId: 0, wildcard: false, extraColumns: ['free'] },
    expected: { statement_id: 0, series: [series('cpu', undefined, ['time', 'usage'], [[n('1'), n('2')]])] },
  },
  {
    name: 'not a wildcard: columns left as they are',
    answers: [answer('a1', series('m1', undefined, ['time', 'b'], [[n('1'), n('2')]])), answer('a2', series('m2', undefined, ['time', 'a'], [[n('1'), n('4')]]))],
    options: { statementId: 0, wildcard: false },
    expected: { statement_id: 0, series: [series('m1', undefined, ['time', 'b'], [[n('1'), n('2')]]), series('m2', undefined, ['time', 'a'], [[n('1'), n('4')]])] },
  },
];

// ORDER BY time DESC: influxd returns the series in reverse order too (checked: `SELECT v FROM a, b, B
// GROUP BY host ORDER BY time DESC` answers b{c}, b{b}, b{a}, a{z}, a{a}, B{a}).
const descendingRows: readonly SeriesRow[] = [
  {
    name: 'descending: every series in reverse order, across measurements (influxd: … GROUP BY host ORDER BY time DESC)',
    answers: [
      answer('a1', hostSeries('b', 'c', '3'), hostSeries('b', 'b', '2'), hostSeries('b', 'a', '1'), hostSeries('B', 'a')),
      answer('a2', hostSeries('a', 'z'), hostSeries('a', 'a')),
    ],
    options: { statementId: 0, descending: true },
    expected: {
      statement_id: 0,
      series: [hostSeries('b', 'c', '3'), hostSeries('b', 'b', '2'), hostSeries('b', 'a', '1'), hostSeries('a', 'z'), hostSeries('a', 'a'), hostSeries('B', 'a')],
    },
  },
  {
    name: 'ascending (the default): the same answers in InfluxDB\'s order',
    answers: [answer('a1', hostSeries('b', 'c', '3'), hostSeries('B', 'a')), answer('a2', hostSeries('a', 'z'), hostSeries('a', 'a'))],
    options: { statementId: 0, descending: false },
    expected: { statement_id: 0, series: [hostSeries('B', 'a'), hostSeries('a', 'a'), hostSeries('a', 'z'), hostSeries('b', 'c', '3')] },
  },
];

/** A series of `SELECT v … GROUP BY *` with one row. */
const tagged = (name: string, tags: Record<string, string>): Series => series(name, tags, ['time', 'v'], [[n('1'), n('1')]]);

// GROUP BY * (or a regex): influxd groups every series by every tag key of every measurement read, with ""
// where a series has no such tag; a node holding one measurement only knows that measurement's keys.
const groupByAllRows: readonly SeriesRow[] = [
  {
    name: 'GROUP BY *: every series gets every tag key seen, "" where it has none',
    answers: [answer('a1', tagged('cpu', { host: 'b' }), tagged('cpu', { host: 'a' })), answer('a2', tagged('mem', { region: 'x' }))],
    options: { statementId: 0, groupByAll: true },
    expected: {
      statement_id: 0,
      series: [tagged('cpu', { host: 'a', region: '' }), tagged('cpu', { host: 'b', region: '' }), tagged('mem', { host: '', region: 'x' })],
    },
  },
  {
    name: 'GROUP BY *: the tag keys of a measurement that gave no series count too',
    answers: [answer('a1', tagged('cpu', { host: 'a' })), answer('a2')],
    options: { statementId: 0, groupByAll: true, extraTagKeys: ['dev'] },
    expected: { statement_id: 0, series: [tagged('cpu', { dev: '', host: 'a' })] },
  },
  {
    name: 'not GROUP BY *: each series keeps its own tags',
    answers: [answer('a1', tagged('cpu', { host: 'a' })), answer('a2', tagged('mem', { region: 'x' }))],
    options: { statementId: 0, groupByAll: false, extraTagKeys: ['dev'] },
    expected: { statement_id: 0, series: [tagged('cpu', { host: 'a' }), tagged('mem', { region: 'x' })] },
  },
];

/** a1 owns cpu, a2 owns mem; a copy of mem left on a1 (written before a ring change) is not mem's. */
const owns = (node: string, measurement: string): boolean => (measurement === 'cpu' ? node === 'a1' : node === 'a2');

const ownerAndErrorRows: readonly SeriesRow[] = [
  {
    name: 'owner filter: a misplaced copy of a measurement is dropped',
    answers: [answer('a1', hostSeries('cpu', 'a'), hostSeries('mem', 'a', '99')), answer('a2', hostSeries('mem', 'a', '7'))],
    options: { statementId: 0, owns },
    expected: { statement_id: 0, series: [hostSeries('cpu', 'a'), hostSeries('mem', 'a', '7')] },
  },
  {
    name: 'owner filter: only misplaced copies answered → no series',
    answers: [answer('a1', hostSeries('mem', 'a', '99')), answer('a2')],
    options: { statementId: 0, owns },
    expected: { statement_id: 0 },
  },
  {
    name: 'the first error wins, in answer order',
    answers: [answer('a1', hostSeries('cpu', 'a')), failed('a2', 'first'), failed('a3', 'second')],
    options: { statementId: 4 },
    expected: { statement_id: 4, error: 'first' },
  },
  {
    name: 'the statement id is the one asked for',
    answers: [answer('a1', hostSeries('cpu', 'a'))],
    options: { statementId: 7 },
    expected: { statement_id: 7, series: [hostSeries('cpu', 'a')] },
  },
  { name: 'no node has series → no series key', answers: [answer('a1'), answer('a2')], options: { statementId: 2 }, expected: { statement_id: 2 } },
];

describe('mergeSeries', () => {
  const tables: [string, readonly SeriesRow[]][] = [
    ['order', orderRows],
    ['SLIMIT / SOFFSET', limitRows],
    ['ORDER BY time DESC', descendingRows],
    ['GROUP BY *', groupByAllRows],
    ['wildcard columns', wildcardRows],
    ['owners and errors', ownerAndErrorRows],
  ];
  for (const [table, rows] of tables) {
    describe(table, () => {
      it.each(rows)('$name', (row) => {
        expect(mergeSeries(row.answers, row.options)).toStrictEqual(row.expected);
      });
    });
  }

  it('orders a series without tags before the same measurement\'s tagged series', () => {
    expect(seriesOrderKey(series('cpu', undefined, []))).toBe(seriesOrderKey(series('cpu', {}, [])));
    const merged = mergeSeries([answer('a1', hostSeries('cpu', 'a'), series('cpu', undefined, ['time', 'v']))], { statementId: 0 });
    expect(merged.series?.map((s) => s.tags)).toEqual([undefined, { host: 'a' }]);
  });
});

// ---------------------------------------------------------------------------------------------------

interface ListRow {
  readonly name: string;
  readonly answers: readonly NodeAnswer[];
  readonly options: Parameters<typeof mergeList>[1];
  readonly expected: StatementResult;
}

const names = (column: string, values: string[], name?: string): Series => series(name, undefined, [column], values.map((v) => [v]));
const measurements = (...values: string[]): Series => names('name', values, 'measurements');
const MEASUREMENTS = { name: 'measurements', column: 'name', sort: true } as const;

const listRows: readonly ListRow[] = [
  {
    name: 'union, de-duplicated, sorted',
    answers: [answer('a1', measurements('cpu', 'mem')), answer('a2', measurements('disk', 'cpu'))],
    options: { statementId: 0, ...MEASUREMENTS },
    expected: { statement_id: 0, series: [measurements('cpu', 'disk', 'mem')] },
  },
  {
    name: 'bytewise: upper case first, UTF-8 order',
    answers: [answer('a1', measurements('b', EMOJI, 'a"b')), answer('a2', measurements(FULLWIDTH_A, 'B', 'a'))],
    options: { statementId: 0, ...MEASUREMENTS },
    expected: { statement_id: 0, series: [measurements('B', 'a', 'a"b', 'b', FULLWIDTH_A, EMOJI)] },
  },
  {
    // influxd 1.6.7 holding all five: `SHOW MEASUREMENTS LIMIT 2 OFFSET 1` → a, a"b. Nodes ran LIMIT 3.
    name: 'LIMIT and OFFSET after the union (influxd: SHOW MEASUREMENTS LIMIT 2 OFFSET 1)',
    answers: [answer('a1', measurements('B', 'a"b', "it's")), answer('a2', measurements('a', 'b'))],
    options: { statementId: 0, ...MEASUREMENTS, limit: 2, offset: 1 },
    expected: resultOf('{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["a"],["a\\"b"]]}]}]}'),
  },
  {
    name: 'OFFSET alone',
    answers: [answer('a1', measurements('c', 'a')), answer('a2', measurements('b'))],
    options: { statementId: 0, ...MEASUREMENTS, limit: null, offset: 2 },
    expected: { statement_id: 0, series: [measurements('c')] },
  },
  {
    name: 'OFFSET past the end → no series',
    answers: [answer('a1', measurements('c', 'a')), answer('a2', measurements('b'))],
    options: { statementId: 0, ...MEASUREMENTS, limit: 10, offset: 3 },
    expected: { statement_id: 0 },
  },
  {
    // influxd 1.6.7: `SHOW SERIES LIMIT 2 OFFSET 1` → a,host=a and a,host=z; the series has no name.
    name: 'SHOW SERIES: no name, column key (influxd: SHOW SERIES LIMIT 2 OFFSET 1)',
    answers: [answer('a1', names('key', ['B,host=a', 'b,host=a', 'b,host=b'])), answer('a2', names('key', ['a,host=a', 'a,host=z']))],
    options: { statementId: 0, name: undefined, column: 'key', sort: true, limit: 2, offset: 1 },
    expected: resultOf('{"results":[{"statement_id":0,"series":[{"columns":["key"],"values":[["a,host=a"],["a,host=z"]]}]}]}'),
  },
  {
    // influxd's index lists series by name, then tag by tag (key, value), unescaped: `a b` (space) before
    // `a!`, the name `cpu` before `cpu+gpu`, the tag key `host` before `host-a`.
    name: 'SHOW SERIES keys: by name, then tag by tag, unescaped',
    answers: [
      answer('a1', names('key', ['cpu+gpu,host=a', 'm,host-a=b', 'cpu,host=a!'])),
      answer('a2', names('key', ['cpu,host=a\\ b', 'm,host=a,z=1', 'cpu,host=a!,z=1'])),
    ],
    options: { statementId: 0, name: undefined, column: 'key', sort: true, seriesKeys: true },
    expected: { statement_id: 0, series: [names('key', ['cpu,host=a\\ b', 'cpu,host=a!', 'cpu,host=a!,z=1', 'cpu+gpu,host=a', 'm,host=a,z=1', 'm,host-a=b'])] },
  },
  {
    name: 'the same keys without seriesKeys: bytewise on the escaped text',
    answers: [
      answer('a1', names('key', ['cpu+gpu,host=a', 'm,host-a=b', 'cpu,host=a!'])),
      answer('a2', names('key', ['cpu,host=a\\ b', 'm,host=a,z=1', 'cpu,host=a!,z=1'])),
    ],
    options: { statementId: 0, name: undefined, column: 'key', sort: true, seriesKeys: false },
    expected: { statement_id: 0, series: [names('key', ['cpu+gpu,host=a', 'cpu,host=a!', 'cpu,host=a!,z=1', 'cpu,host=a\\ b', 'm,host-a=b', 'm,host=a,z=1'])] },
  },
  {
    name: 'SHOW DATABASES: first-seen order, hidden databases left out',
    answers: [answer('a1', names('name', ['db', '_irx', 'd2'], 'databases')), answer('a2', names('name', ['db', 'd2', 'd3'], 'databases'))],
    options: { statementId: 0, name: 'databases', column: 'name', sort: false, hide: new Set(['_irx']) },
    expected: { statement_id: 0, series: [names('name', ['db', 'd2', 'd3'], 'databases')] },
  },
  {
    name: 'only hidden values → no series',
    answers: [answer('a1', names('name', ['_irx'], 'databases')), answer('a2', names('name', ['_irx'], 'databases'))],
    options: { statementId: 0, name: 'databases', column: 'name', sort: false, hide: new Set(['_irx']) },
    expected: { statement_id: 0 },
  },
  {
    name: 'empty everywhere → no series',
    answers: [answer('a1'), answer('a2')],
    options: { statementId: 3, ...MEASUREMENTS },
    expected: { statement_id: 3 },
  },
  {
    name: 'the first error wins',
    answers: [answer('a1', measurements('cpu')), failed('a2', 'database not found: nope'), failed('a3', 'other')],
    options: { statementId: 1, ...MEASUREMENTS },
    expected: { statement_id: 1, error: 'database not found: nope' },
  },
];

describe('mergeList', () => {
  it.each(listRows)('$name', (row) => {
    expect(mergeList(row.answers, row.options)).toStrictEqual(row.expected);
  });
});

// ---------------------------------------------------------------------------------------------------

interface SumRow {
  readonly name: string;
  readonly answers: readonly NodeAnswer[];
  readonly expected: StatementResult;
}

const count = (column: string, value: string): Series => series(undefined, undefined, [column], [[n(value)]]);

const sumRows: readonly SumRow[] = [
  {
    // influxd 1.6.7: SHOW MEASUREMENT CARDINALITY / SHOW SERIES CARDINALITY.
    name: 'estimations added up, column kept',
    answers: [answer('a1', count('cardinality estimation', '2')), answer('a2', count('cardinality estimation', '3'))],
    expected: { statement_id: 0, series: [count('cardinality estimation', '5')] },
  },
  {
    // influxd 1.6.7: SHOW MEASUREMENT EXACT CARDINALITY.
    name: 'exact counts added up, column kept',
    answers: [answer('a1', count('count', '40')), answer('a2', count('count', '2')), answer('a3', count('count', '0'))],
    expected: { statement_id: 0, series: [count('count', '42')] },
  },
  {
    name: 'a node with no series counts 0',
    answers: [answer('a1'), answer('a2', count('count', '7'))],
    expected: { statement_id: 0, series: [count('count', '7')] },
  },
  { name: 'no node has series → no series', answers: [answer('a1'), answer('a2')], expected: { statement_id: 0 } },
  {
    name: 'the first error wins',
    answers: [answer('a1', count('count', '1')), failed('a2', 'boom'), failed('a3', 'bang')],
    expected: { statement_id: 0, error: 'boom' },
  },
];

describe('mergeSum', () => {
  it.each(sumRows)('$name', (row) => {
    expect(mergeSum(row.answers, 0)).toStrictEqual(row.expected);
  });

  it('adds counts past 2^53 exactly (BigInt, not float)', () => {
    const merged = mergeSum([answer('a1', count('count', '9007199254740993')), answer('a2', count('count', '9007199254740993'))], 0);
    expect((merged.series?.[0]?.values?.[0]?.[0] as JsonNumber).text).toBe('18014398509481986');
  });

  it('writes the sum as an exact JsonNumber (an integer, no exponent or fraction)', () => {
    const merged = mergeSum([answer('a1', count('count', '1000000')), answer('a2', count('count', '23000000'))], 5);
    expect(merged.statement_id).toBe(5);
    const value = merged.series?.[0]?.values?.[0]?.[0];
    expect(value).toBeInstanceOf(JsonNumber);
    expect((value as JsonNumber).text).toBe('24000000');
  });
});

describe('compareBytes', () => {
  it('orders 20000 random pairs of strings (ASCII, 2- and 3-byte, surrogate pairs) as Buffer.compare orders their UTF-8', () => {
    const random = prng(7);
    const pieces = ['a', 'b', 'A', ' ', ',', '\u007f', '\u0080', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\ud83d\ude00', '\ud800\udc00', '\udbff\udfff'];
    const text = (): string => Array.from({ length: Math.floor(random() * 4) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = [text(), text()];
      if (Math.sign(compareBytes(a, b)) !== Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))) wrong.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
