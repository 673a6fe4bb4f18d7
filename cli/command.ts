// A command of the `influxring` tool: one file per command exports one `Command`, and commands.ts
// lists them. main.ts parses the flags a command declares, prints its help, runs it, and turns a
// thrown CliError into one line on stderr and the error's exit code.
import type { FlagSpec, ParsedFlags } from './flags.js';

/** What a command may touch of the outside world (the process's, or a test's). */
export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  /** Progress and notes go here; `isTTY` / `columns` decide how progress is drawn. */
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface Command {
  /** The word after `influxring`. */
  readonly name: string;
  /** One line for the tool's command list. */
  readonly summary: string;
  /** The synopsis, e.g. `influxring import FILE --db DB [options]`. */
  readonly usage: string;
  /** Paragraphs shown by `influxring <command> --help` after the synopsis. */
  readonly description: readonly string[];
  /** Every flag the command takes (connection flags included), in help order. */
  readonly flags: readonly FlagSpec[];
  /** Lines after the flag list in the help (defaults, examples). */
  readonly notes: readonly string[];
  /** Does the work; throws a CliError to stop with a message and an exit code. */
  run(flags: ParsedFlags, context: CommandContext): Promise<void>;
}
