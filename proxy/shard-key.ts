// The shard key decides where a point lives: `db,measurement`, the measurement as influxd stores it
// (see unescapeMeasurement). Every circle places the same shard key with its own ring.

export function shardKey(db: string, measurement: string): string {
  return `${db},${measurement}`;
}
