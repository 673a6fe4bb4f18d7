// A curve's identity and its detection shard: series key = db, measurement, tags sorted by key, field
// (InfluxDB's series key plus the field); shard = FNV-1a of the key, modulo the number of shards.

export function seriesKey(db: string, measurement: string, tags: readonly (readonly [string, string])[], field: string): string {
  const sorted = [...tags].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${db}/${measurement}${sorted.map(([k, v]) => `,${k}=${v}`).join('')}#${field}`;
}

export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** A series key as sent, without escapes (`measurement,k=v,…`): its measurement and tags. */
export function splitSeries(series: string): { measurement: string; tags: [string, string][] } {
  const parts = series.split(',');
  const tags = parts.slice(1).map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
  return { measurement: parts[0] as string, tags };
}
