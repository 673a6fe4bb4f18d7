// A chunked /query answer as influxd (and the proxy) sends it: one JSON document per line. Read as it
// streams, chunk by chunk, by the jobs that copy a measurement and by the workers' bulk queries.

export interface AnswerSeries<V> {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: V[][];
}

export interface AnswerChunk<V> {
  readonly results?: { series?: AnswerSeries<V>[]; error?: string }[];
  readonly error?: string;
}

/** The chunks of the answer `body`, each line parsed with `parse` (blank lines skipped). */
export async function* answerChunks<C>(body: AsyncIterable<Uint8Array>, parse: (text: string) => C): AsyncGenerator<C> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const piece of body) {
    rest += decoder.decode(piece, { stream: true });
    let newline = rest.indexOf('\n');
    while (newline !== -1) {
      const text = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      newline = rest.indexOf('\n');
      if (text.trim() !== '') yield parse(text);
    }
  }
  rest += decoder.decode();
  if (rest.trim() !== '') yield parse(rest);
}

/** The series of a chunk; a chunk or statement error is thrown, after `context`. */
export function chunkSeries<V>(chunk: AnswerChunk<V>, context: string): AnswerSeries<V>[] {
  const error = chunk.error ?? chunk.results?.find((result) => result.error !== undefined)?.error;
  if (error !== undefined) throw new Error(`${context}: ${error}`);
  return (chunk.results ?? []).flatMap((result) => result.series ?? []);
}
