// Leases in Redis held by a token: renewed or released only by their holder (one script each, so the
// check and the change are one step). Used by the admin jobs' circle locks and the detection shards.

// RENEW — KEYS: lease. ARGV: token, ttl ms. RELEASE — KEYS: lease. ARGV: token.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface LeaseCommands {
  irxLeaseRenew(lease: string, token: string, ttl: number): Promise<number>;
  irxLeaseRelease(lease: string, token: string): Promise<number>;
}

/** Defines the lease scripts on `redis` and returns it typed with them. */
export function withLeaseCommands<T extends { defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void }>(redis: T): T & LeaseCommands {
  redis.defineCommand('irxLeaseRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('irxLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  return redis as T & LeaseCommands;
}
