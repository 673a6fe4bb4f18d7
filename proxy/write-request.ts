// The durable acknowledgement of one client write: it is split into parts, one per owner node, and
// the client is answered only when every part is settled — accepted by its node, stored in the
// node's replay buffer, refused for a client reason, or impossible to store anywhere.

export type PartOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'buffered' }
  | { readonly kind: 'rejected'; readonly status: number; readonly error: string }
  | { readonly kind: 'unavailable'; readonly node: string; readonly reason: string };

export type WriteResult =
  /** Every part is on its node or in its node's replay buffer. */
  | { readonly kind: 'stored' }
  /** A node refused some points for a client reason (the others are stored, as in a partial write). */
  | { readonly kind: 'rejected'; readonly status: number; readonly error: string }
  /** Some part could be stored neither on its node nor in Redis: the client must retry. */
  | { readonly kind: 'unavailable'; readonly node: string; readonly reason: string };

export const PART_ACCEPTED: PartOutcome = { kind: 'accepted' };
export const PART_BUFFERED: PartOutcome = { kind: 'buffered' };
const STORED: WriteResult = { kind: 'stored' };

export class WriteRequest {
  readonly done: Promise<WriteResult>;
  #remaining = 0;
  #sealed = false;
  #rejected: WriteResult | null = null;
  #unavailable: WriteResult | null = null;
  #resolve: (result: WriteResult) => void = () => undefined;

  constructor() {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** One more part will be settled. */
  expect(): void {
    this.#remaining++;
  }

  /** No more parts will be added; resolves at once if all are settled already. */
  seal(): void {
    this.#sealed = true;
    if (this.#remaining === 0) this.#finish();
  }

  settle(outcome: PartOutcome): void {
    if (outcome.kind === 'unavailable') {
      this.#unavailable ??= outcome;
    } else if (outcome.kind === 'rejected') {
      this.#rejected ??= outcome;
    }
    this.#remaining--;
    if (this.#remaining === 0 && this.#sealed) this.#finish();
  }

  #finish(): void {
    // Unavailable wins: something is not stored, so the client must retry the whole write
    // (points already stored are overwritten with themselves).
    this.#resolve(this.#unavailable ?? this.#rejected ?? STORED);
  }
}
