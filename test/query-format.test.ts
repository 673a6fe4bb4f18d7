// Query answers written as influxd writes them, and the lossless JSON underneath. Every expected text
// below is a real influxd 1.6.7's answer, captured with curl (`pretty=true`, `chunked=true&chunk_size=N`,
// `Accept: application/csv`, `epoch=ns`), next to the plain JSON answer it was rendered from.
import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, parseJson, writeJson, writePrettyJson, type JsonValue } from '../proxy/json-lossless.js';
import { plainNumber, renderChunks, renderCsv, renderError, renderJson, type OutputFormat } from '../proxy/query-format.js';
import type { Series, StatementResult } from '../proxy/query-merge.js';

/** The statement results of an influxd answer, as the renderers take them. */
function resultsOf(body: string): StatementResult[] {
  const doc = parseJson(body) as unknown as { results: (Omit<StatementResult, 'statement_id'> & { statement_id: JsonNumber })[] };
  return doc.results.map((r) => ({ ...r, statement_id: Number(r.statement_id) }));
}

function onlyResult(body: string): StatementResult {
  const [first, ...rest] = resultsOf(body);
  if (first === undefined || rest.length > 0) throw new Error('expected one statement result');
  return first;
}

// ---------------------------------------------------------------------------------------------------
// influxd's answers

/** `SELECT v FROM a GROUP BY host; SELECT x FROM y GROUP BY time(1h); SELECT * FROM nothere`, epoch=ns. */
const GROUPED = String.raw`{"results":[{"statement_id":0,"series":[{"name":"a","tags":{"host":"a"},"columns":["time","v"],"values":[[1,1]]},{"name":"a","tags":{"host":"z"},"columns":["time","v"],"values":[[1,1]]}]},{"statement_id":1,"error":"not executed"}]}
`;
const GROUPED_PRETTY = String.raw`{
    "results": [
        {
            "statement_id": 0,
            "series": [
                {
                    "name": "a",
                    "tags": {
                        "host": "a"
                    },
                    "columns": [
                        "time",
                        "v"
                    ],
                    "values": [
                        [
                            1,
                            1
                        ]
                    ]
                },
                {
                    "name": "a",
                    "tags": {
                        "host": "z"
                    },
                    "columns": [
                        "time",
                        "v"
                    ],
                    "values": [
                        [
                            1,
                            1
                        ]
                    ]
                }
            ]
        },
        {
            "statement_id": 1,
            "error": "not executed"
        }
    ]
}
`;

/** `SELECT * FROM cpu, mem; SHOW DATABASES`: an int64, a float, Go's escapes of < and &. */
const WIDE = String.raw`{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","free","host","n","region","s","usage"],"values":[["1970-01-01T00:00:01Z",null,"b",9223372036854775807,"x",null,1.5],["1970-01-01T00:00:02Z",null,"a",null,null,null,2],["1970-01-01T00:00:03Z",null,"a",null,null,null,3]]},{"name":"mem","columns":["time","free","host","n","region","s","usage"],"values":[["1970-01-01T00:00:01Z",10,"a",null,null,"x\u003cy\u0026z",null],["1970-01-01T00:00:02Z",11,"a",null,null,null,null]]}]},{"statement_id":1,"series":[{"name":"databases","columns":["name"],"values":[["db"],["d2"]]}]}]}
`;
const WIDE_PRETTY = String.raw`{
    "results": [
        {
            "statement_id": 0,
            "series": [
                {
                    "name": "cpu",
                    "columns": [
                        "time",
                        "free",
                        "host",
                        "n",
                        "region",
                        "s",
                        "usage"
                    ],
                    "values": [
                        [
                            "1970-01-01T00:00:01Z",
                            null,
                            "b",
                            9223372036854775807,
                            "x",
                            null,
                            1.5
                        ],
                        [
                            "1970-01-01T00:00:02Z",
                            null,
                            "a",
                            null,
                            null,
                            null,
                            2
                        ],
                        [
                            "1970-01-01T00:00:03Z",
                            null,
                            "a",
                            null,
                            null,
                            null,
                            3
                        ]
                    ]
                },
                {
                    "name": "mem",
                    "columns": [
                        "time",
                        "free",
                        "host",
                        "n",
                        "region",
                        "s",
                        "usage"
                    ],
                    "values": [
                        [
                            "1970-01-01T00:00:01Z",
                            10,
                            "a",
                            null,
                            null,
                            "x\u003cy\u0026z",
                            null
                        ],
                        [
                            "1970-01-01T00:00:02Z",
                            11,
                            "a",
                            null,
                            null,
                            null,
                            null
                        ]
                    ]
                }
            ]
        },
        {
            "statement_id": 1,
            "series": [
                {
                    "name": "databases",
                    "columns": [
                        "name"
                    ],
                    "values": [
                        [
                            "db"
                        ],
                        [
                            "d2"
                        ]
                    ]
                }
            ]
        }
    ]
}
`;

// ---------------------------------------------------------------------------------------------------
// json-lossless

describe('parseJson → writeJson', () => {
  it.each([
    { name: 'an influxd answer with an int64, a float and escaped < &', body: WIDE },
    { name: 'an influxd answer with tags and a statement error', body: GROUPED },
    {
      name: 'the largest and smallest int64',
      body: '{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","i"],"values":[[9223372036854775807,-9223372036854775808]]}]}]}\n',
    },
    {
      // influxd 1.6.7's floats: Go writes an exponent below 1e-6 and from 1e21.
      name: 'floats as Go writes them',
      body: '{"results":[{"statement_id":0,"series":[{"name":"f","columns":["time","v"],"values":[[1,1e-7],[2,-2500],[3,1e+21],[4,1.5e+300],[5,123456789012345680000],[6,-1.5e-300],[7,0.000001],[8,12345.678]]}]}]}\n',
    },
    {
      // influxd 1.6.7 for the string field "a\bb\fc\x01d\x7fe\u2028f": Go writes \b and \f as \u0008, \u000c.
      name: 'control characters as Go escapes them',
      body: String.raw`{"results":[{"statement_id":0,"series":[{"name":"ctl","columns":["time","s"],"values":[[1,"a\u0008b\u000cc\u0001de\u2028f"]]}]}]}` + '\n',
    },
    { name: 'escaped quote, backslash and newline', body: String.raw`{"a":"q\"b\\n\n\t\r"}` + '\n' },
    { name: 'non-ASCII text written as it is', body: '{"a":"température 😀"}\n' },
    { name: 'empty array and object', body: '{"a":[],"b":{},"c":[{}],"d":true,"e":false,"f":null}\n' },
  ])('$name: the same bytes back', ({ body }) => {
    expect(`${writeJson(parseJson(body.trimEnd()))}\n`).toBe(body);
  });

  it('keeps numbers as their text', () => {
    const value = parseJson('[9223372036854775807, 1.5e+300, -0.0, 1e-7]');
    expect(Array.isArray(value) && value.every((v) => v instanceof JsonNumber)).toBe(true);
    expect((value as JsonNumber[]).map((v) => v.text)).toEqual(['9223372036854775807', '1.5e+300', '-0.0', '1e-7']);
    expect(Number(new JsonNumber('2.5'))).toBe(2.5);
  });

  it('reads whitespace around values (pretty answers)', () => {
    expect(writeJson(parseJson(WIDE_PRETTY))).toBe(WIDE.trimEnd());
    expect(writeJson(parseJson(GROUPED_PRETTY))).toBe(GROUPED.trimEnd());
  });

  it.each([
    ['trailing data', '{"a":1} x'],
    ['an unterminated string', '{"a":"b'],
    ['a missing value', '{"a":}'],
    ['a missing comma', '[1 2]'],
    ['a bare word', '{"a":nope}'],
  ])('rejects %s', (_, text) => {
    expect(() => parseJson(text)).toThrow(JsonSyntaxError);
  });
});

describe('writeJson: Go\'s string escaping', () => {
  it.each([
    ['< > &', '<a>&', String.raw`"\u003ca\u003e\u0026"`],
    ['U+2028 and U+2029', '\u2028\u2029', String.raw`"\u2028\u2029"`],
    ['quote and backslash', '"\\', String.raw`"\"\\"`],
    ['newline, carriage return, tab', '\n\r\t', String.raw`"\n\r\t"`],
    ['backspace and form feed as \\u00XX (Go before 1.22, influxd 1.x)', '\b\f', String.raw`"\u0008\u000c"`],
    ['other control characters', '\u0000\u0001\u001f', String.raw`"\u0000\u0001\u001f"`],
    ['DEL and non-ASCII as they are', '\u007fé😀', '"\u007fé😀"'],
    ['keys too', { '<k>': 'v' } as JsonValue, String.raw`{"\u003ck\u003e":"v"}`],
  ])('%s', (_, value, expected) => {
    expect(writeJson(value)).toBe(expected);
  });
});

describe('writePrettyJson: Go\'s MarshalIndent with 4 spaces', () => {
  it('writes influxd\'s pretty=true answers byte for byte', () => {
    expect(`${writePrettyJson(parseJson(GROUPED))}\n`).toBe(GROUPED_PRETTY);
    expect(`${writePrettyJson(parseJson(WIDE))}\n`).toBe(WIDE_PRETTY);
  });

  it.each([
    ['an empty array and object stay on one line', { a: [], b: {} } as JsonValue, '{\n    "a": [],\n    "b": {}\n}'],
    ['a scalar', new JsonNumber('1.5e+300'), '1.5e+300'],
    ['a nested array', [[new JsonNumber('1')], 'x'] as JsonValue, '[\n    [\n        1\n    ],\n    "x"\n]'],
    ['Go escapes in keys and strings', { '<': '&' } as JsonValue, String.raw`{
    "\u003c": "\u0026"
}`],
  ])('%s', (_, value, expected) => {
    expect(writePrettyJson(value)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------------
// renderJson, renderError

describe('renderJson', () => {
  it.each([
    { name: 'tags and a statement error', body: GROUPED, pretty: GROUPED_PRETTY },
    { name: 'an int64, a float, escapes, two statements', body: WIDE, pretty: WIDE_PRETTY },
  ])('$name: compact and pretty as influxd', ({ body, pretty }) => {
    expect(renderJson(resultsOf(body), false)).toBe(body);
    expect(renderJson(resultsOf(body), true)).toBe(pretty);
  });

  it('writes keys in influxd\'s order whatever order the result was built in', () => {
    const result: StatementResult = { error: 'e', partial: true, messages: [{ text: 't', level: 'warning' }], series: [], statement_id: 3 };
    const series: Series = { values: [[null]], columns: ['c'], tags: { t: 'v' }, name: 'n', partial: true };
    expect(renderJson([result, { statement_id: 4, series: [series] }], false)).toBe(
      '{"results":[{"statement_id":3,"series":[],"messages":[{"level":"warning","text":"t"}],"partial":true,"error":"e"},' +
        '{"statement_id":4,"series":[{"name":"n","tags":{"t":"v"},"columns":["c"],"values":[[null]],"partial":true}]}]}\n',
    );
  });
});

describe('renderError', () => {
  const message = 'error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 13';
  const format = (csv: boolean, pretty: boolean): OutputFormat => ({ csv, pretty, chunked: false, chunkSize: 10_000 });
  it.each([
    { name: 'JSON', csv: false, pretty: false, expected: `{"error":"${message}"}\n` },
    { name: 'pretty JSON', csv: false, pretty: true, expected: `{\n    "error": "${message}"\n}\n` },
    { name: 'CSV (quoted: it has commas)', csv: true, pretty: false, expected: `error\n"${message}"\n` },
  ])('$name, as influxd', ({ csv, pretty, expected }) => {
    expect(renderError(message, format(csv, pretty))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------------
// renderChunks

interface ChunkRow {
  readonly name: string;
  /** influxd's plain answer. */
  readonly body: string;
  readonly chunkSize: number;
  /** influxd's chunked answer to the same query. */
  readonly chunks: string;
}

const CPU = '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5],["1970-01-01T00:00:02Z",2],["1970-01-01T00:00:03Z",3]]}]}]}\n';
const BY_HOST =
  '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["1970-01-01T00:00:02Z",2],["1970-01-01T00:00:03Z",3]]},{"name":"cpu","tags":{"host":"b"},"columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5]]}]}]}\n';

const chunkRows: readonly ChunkRow[] = [
  {
    name: 'SELECT usage FROM cpu, chunk_size=1: a chunk per row, partial until the last',
    body: CPU,
    chunkSize: 1,
    chunks:
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5]],"partial":true}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:02Z",2]],"partial":true}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:03Z",3]]}]}]}\n',
  },
  {
    name: 'SELECT usage FROM cpu, chunk_size=2',
    body: CPU,
    chunkSize: 2,
    chunks:
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5],["1970-01-01T00:00:02Z",2]],"partial":true}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[["1970-01-01T00:00:03Z",3]]}]}]}\n',
  },
  { name: 'SELECT usage FROM cpu, chunk_size=3: one chunk, not partial', body: CPU, chunkSize: 3, chunks: CPU },
  {
    name: 'GROUP BY host, chunk_size=1: the series partial within it, the statement partial until the last',
    body: BY_HOST,
    chunkSize: 1,
    chunks:
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["1970-01-01T00:00:02Z",2]],"partial":true}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["1970-01-01T00:00:03Z",3]]}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5]]}]}]}\n',
  },
  {
    name: 'GROUP BY host, chunk_size=2: a chunk per series',
    body: BY_HOST,
    chunkSize: 2,
    chunks:
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["1970-01-01T00:00:02Z",2],["1970-01-01T00:00:03Z",3]]}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5]]}]}]}\n',
  },
  {
    name: 'GROUP BY host, chunk_size=10: still a chunk per series',
    body: BY_HOST,
    chunkSize: 10,
    chunks:
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a"},"columns":["time","usage"],"values":[["1970-01-01T00:00:02Z",2],["1970-01-01T00:00:03Z",3]]}],"partial":true}]}\n' +
      '{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"b"},"columns":["time","usage"],"values":[["1970-01-01T00:00:01Z",1.5]]}]}]}\n',
  },
  {
    name: 'the second statement of a query keeps its statement_id',
    body: String.raw`{"results":[{"statement_id":1,"series":[{"name":"mem","columns":["time","free","host","s"],"values":[["1970-01-01T00:00:01Z",10,"a","x\u003cy\u0026z"],["1970-01-01T00:00:02Z",11,"a",null]]}]}]}` + '\n',
    chunkSize: 1,
    chunks:
      String.raw`{"results":[{"statement_id":1,"series":[{"name":"mem","columns":["time","free","host","s"],"values":[["1970-01-01T00:00:01Z",10,"a","x\u003cy\u0026z"]],"partial":true}],"partial":true}]}` +
      '\n' +
      '{"results":[{"statement_id":1,"series":[{"name":"mem","columns":["time","free","host","s"],"values":[["1970-01-01T00:00:02Z",11,"a",null]]}]}]}\n',
  },
  { name: 'no series: one chunk', body: '{"results":[{"statement_id":0}]}\n', chunkSize: 2, chunks: '{"results":[{"statement_id":0}]}\n' },
  {
    name: 'a statement error: one chunk',
    body: '{"results":[{"statement_id":0,"error":"GROUP BY requires at least one aggregate function"}]}\n',
    chunkSize: 1,
    chunks: '{"results":[{"statement_id":0,"error":"GROUP BY requires at least one aggregate function"}]}\n',
  },
];

describe('renderChunks', () => {
  it.each(chunkRows)('$name', (row) => {
    expect(renderChunks(onlyResult(row.body), row.chunkSize, false)).toBe(row.chunks);
  });

  it('pretty chunks are each a pretty document on its own lines', () => {
    const chunks = renderChunks(onlyResult(CPU), 2, true);
    const documents = chunks.split('\n}\n').filter((d) => d !== '').map((d) => `${d}\n}`);
    expect(documents).toHaveLength(2);
    expect(documents.map((d) => writeJson(parseJson(d)))).toEqual(renderChunks(onlyResult(CPU), 2, false).trimEnd().split('\n'));
    expect(documents[0]?.startsWith('{\n    "results": [\n')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// renderCsv

interface CsvRow {
  readonly name: string;
  /** influxd's JSON answer (epoch=ns, as the executor asks for CSV). */
  readonly body: string;
  /** influxd's CSV answer to the same query. */
  readonly csv: string;
}

const csvRows: readonly CsvRow[] = [
  {
    // `SELECT * FROM cpu GROUP BY *; SHOW DATABASES; SELECT * FROM nothere; SELECT * FROM mem`
    name: 'header per statement, tags quoted when they hold a comma, blank line between statements, empty statements print nothing',
    body: String.raw`{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"host":"a","region":""},"columns":["time","n","usage"],"values":[[2000000000,null,2],[3000000000,null,3]]},{"name":"cpu","tags":{"host":"b","region":"x"},"columns":["time","n","usage"],"values":[[1000000000,9223372036854775807,1.5]]}]},{"statement_id":1,"series":[{"name":"databases","columns":["name"],"values":[["db"],["d2"]]}]},{"statement_id":2},{"statement_id":3,"series":[{"name":"mem","columns":["time","free","host","s"],"values":[[1000000000,10,"a","x\u003cy\u0026z"],[2000000000,11,"a",null]]}]}]}`,
    csv:
      'name,tags,time,n,usage\n' +
      'cpu,host=a,2000000000,,2\n' +
      'cpu,host=a,3000000000,,3\n' +
      'cpu,"host=b,region=x",1000000000,9223372036854775807,1.5\n' +
      '\n' +
      'name,tags,name\n' +
      'databases,,db\n' +
      'databases,,d2\n' +
      '\n' +
      'name,tags,time,free,host,s\n' +
      'mem,,1000000000,10,a,x<y&z\n' +
      'mem,,2000000000,11,a,\n',
  },
  {
    name: 'string values: quotes doubled, a leading space quoted, an empty string empty; true; a big float in full',
    body: String.raw`{"results":[{"statement_id":0,"series":[{"name":"q","columns":["time","b","n","s"],"values":[[2,null,2," lead space"],[3,null,3,"quote\"d"],[4,null,4,""],[6,true,1.5e+300,"x\\"]]}]}]}`,
    csv:
      'name,tags,time,b,n,s\n' +
      'q,,2,,2," lead space"\n' +
      'q,,3,,3,"quote""d"\n' +
      'q,,4,,4,\n' +
      `q,,6,true,15${'0'.repeat(299)},x\\\n`,
  },
  {
    // Go's encoding/csv quotes a field starting with any white space, and the field `\.`.
    name: 'string values: a leading tab and \\. are quoted, as Go\'s csv writer does',
    body: String.raw`{"results":[{"statement_id":0,"series":[{"name":"q","columns":["time","s"],"values":[[1,"\tlead tab"],[5,"\\."]]}]}]}`,
    csv: 'name,tags,time,s\n' + 'q,,1,"\tlead tab"\n' + 'q,,5,"\\."\n',
  },
  {
    // Not captured from influxd: Go's encoding/csv quotes a field whose first rune is unicode.IsSpace
    // (no-break space, em space, U+0085, vertical tab), and not one with such a rune later.
    name: 'a leading unicode space: quoted, as Go\'s csv writer does',
    body: '{"results":[{"statement_id":0,"series":[{"name":"q","columns":["time","s"],"values":[[1,"\u00a0nbsp"],[2,"\u2003em"],[3,"\u0085nel"],[4,"\u000bvt"],[5,"in\u00a0side"]]}]}]}',
    csv: 'name,tags,time,s\n' + 'q,,1,"\u00a0nbsp"\n' + 'q,,2,"\u2003em"\n' + 'q,,3,"\u0085nel"\n' + 'q,,4,"\u000bvt"\n' + 'q,,5,in\u00a0side\n',
  },
  {
    // Not captured from influxd: derived from Go's encoding/csv, which quotes a field holding a comma, CR
    // or LF (written as they are inside the quotes) and leaves a trailing space alone. The measurement
    // name is a field like any other.
    name: 'a comma, a newline or a CR in a field: quoted, as Go\'s csv writer does',
    body: String.raw`{"results":[{"statement_id":0,"series":[{"name":"a,b","columns":["time","s"],"values":[[1,"x,y"],[2,"l1\nl2"],[3,"cr\r"],[4,"tail "]]}]}]}`,
    csv: 'name,tags,time,s\n' + '"a,b",,1,"x,y"\n' + '"a,b",,2,"l1\nl2"\n' + '"a,b",,3,"cr\r"\n' + '"a,b",,4,tail \n',
  },
  {
    // influxd writes the tag set as a series key: commas, spaces and = escaped, empty values left out.
    // `SELECT v FROM esc GROUP BY *` over esc,host=a\,b,k\ 1=v\=1 and esc,host=plain.
    name: 'tags escaped as in a series key (influxd: host=a\\,b,k\\ 1=v\\=1)',
    body: '{"results":[{"statement_id":0,"series":[{"name":"esc","tags":{"host":"a,b","k 1":"v=1"},"columns":["time","v"],"values":[[1,1]]},{"name":"esc","tags":{"host":"plain","k 1":""},"columns":["time","v"],"values":[[2,2]]}]}]}',
    csv: 'name,tags,time,v\n' + 'esc,"host=a\\,b,k\\ 1=v\\=1",1,1\n' + 'esc,host=plain,2,2\n',
  },
  {
    name: 'a tag value with a space (influxd: t=x\\ y)',
    body: '{"results":[{"statement_id":0,"series":[{"name":"q","tags":{"t":"x y"},"columns":["time","n"],"values":[[1,1]]}]}]}',
    csv: 'name,tags,time,n\n' + 'q,t=x\\ y,1,1\n',
  },
  {
    // influxd's floats in CSV: strconv.FormatFloat(v, 'f', -1, 64).
    name: 'floats written without exponent',
    body: '{"results":[{"statement_id":0,"series":[{"name":"f","columns":["time","v"],"values":[[1,1e-7],[2,-2500],[3,1e+21],[5,123456789012345680000],[6,-1.5e-300],[7,0.000001],[8,12345.678]]}]}]}',
    csv:
      'name,tags,time,v\n' +
      'f,,1,0.0000001\n' +
      'f,,2,-2500\n' +
      `f,,3,1${'0'.repeat(21)}\n` +
      'f,,5,123456789012345680000\n' +
      `f,,6,-0.${'0'.repeat(299)}15\n` +
      'f,,7,0.000001\n' +
      'f,,8,12345.678\n',
  },
  {
    // `SHOW DATABASES; SELECT x FROM y GROUP BY time(1h); SHOW MEASUREMENTS`: influxd's CSV writer skips
    // results without series, errors included.
    name: 'a statement error prints nothing, as influxd',
    body: '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["db"],["d2"]]}]},{"statement_id":1,"error":"GROUP BY requires at least one aggregate function"},{"statement_id":2,"error":"not executed"}]}',
    csv: 'name,tags,name\n' + 'databases,,db\n' + 'databases,,d2\n',
  },
  { name: 'only empty statements: nothing at all', body: '{"results":[{"statement_id":0},{"statement_id":1}]}', csv: '' },
];

describe('renderCsv', () => {
  it.each(csvRows)('$name', (row) => {
    expect(renderCsv(resultsOf(row.body))).toBe(row.csv);
  });
});

describe('plainNumber', () => {
  it.each([
    ['1.5e+300', `15${'0'.repeat(299)}`],
    ['1e-7', '0.0000001'],
    ['1e-07', '0.0000001'],
    ['-2.5E3', '-2500'],
    ['1e+21', `1${'0'.repeat(21)}`],
    ['1.25e+1', '12.5'],
    ['1.5e-7', '0.00000015'],
    ['-1.5e-300', `-0.${'0'.repeat(299)}15`],
    ['42', '42'],
    ['-7', '-7'],
    ['9223372036854775807', '9223372036854775807'],
    ['0.000001', '0.000001'],
    ['12345.678', '12345.678'],
    ['123456789012345680000', '123456789012345680000'],
  ])('%s → %s', (text, expected) => {
    expect(plainNumber(text)).toBe(expected);
  });
});
