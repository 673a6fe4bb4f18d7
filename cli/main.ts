#!/usr/bin/env node
// The `influxring` command-line tool: `influxring <command> [options]`. Finds the command (commands.ts),
// parses the options it declares, prints its help, runs it, and turns what went wrong into one line on
// stderr and an exit status: 0 done, 1 failed, 2 bad command line or setup, 130 interrupted. Expected
// errors (CliError) never show a stack trace; anything else is a bug and shows one.
import type { CommandContext } from './command.js';
import { COMMANDS, findCommand, subcommands } from './commands.js';
import { CliError, usageError } from './errors.js';
import { parseFlags } from './flags.js';
import { closest, commandHelp, toolHelp } from './help.js';
import { INFLUXRING_VERSION } from '../proxy/version.js';

function unknownCommand(args: readonly string[]): CliError {
  const [first = '', second] = args;
  const group = subcommands(first);
  if (group.length > 0 && second !== undefined) {
    return usageError(`unknown command "${first} ${second}" (${first} commands: ${[first, ...group].join(', ')})`);
  }
  const names = [...new Set(COMMANDS.map((command) => command.name.split(' ')[0] as string))];
  const guess = closest(first, names);
  return usageError(`unknown command "${first}"${guess === null ? '' : ` (did you mean ${guess}?)`}`);
}

/** Runs the tool on `args` (the arguments after `influxring`); resolves with the exit status. */
export async function main(args: readonly string[], context: CommandContext): Promise<number> {
  const [first] = args;
  if (first === undefined) {
    context.stderr.write(toolHelp(COMMANDS, INFLUXRING_VERSION));
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const asked = first === 'help' ? findCommand(args.slice(1)) : null;
    context.stdout.write(asked === null ? toolHelp(COMMANDS, INFLUXRING_VERSION) : commandHelp(asked.command));
    return 0;
  }
  if (first === '--version' || first === '-V') {
    context.stdout.write(`influxring ${INFLUXRING_VERSION}\n`);
    return 0;
  }

  let name = 'influxring';
  try {
    if (first.startsWith('-')) throw usageError(`the command comes first: influxring <command> [options] (got ${first})`);
    const found = findCommand(args);
    if (found === null) throw unknownCommand(args);
    const { command, rest } = found;
    name = `influxring ${command.name}`;
    const next = rest[0];
    if (subcommands(command.name).length > 0 && next !== undefined && !next.startsWith('-')) throw unknownCommand([command.name, next]);
    const flags = parseFlags(rest, command.flags);
    if (flags.help) {
      context.stdout.write(commandHelp(command));
      return 0;
    }
    await command.run(flags, context);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      const hint = err.code === 'IRX_ERR_CLI_USAGE' ? `; see ${name} --help` : '';
      // `name` is `influxring` until a command is found: its --help lists the commands.
      context.stderr.write(`${name}: ${err.message}${hint}\n`);
      return err.exitCode;
    }
    context.stderr.write(`${name}: internal error (a bug; please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

// A reader that went away (`influxring jobs | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const status = await main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
// Let what was written reach its reader, then leave without waiting for idle sockets or timers.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(status);
