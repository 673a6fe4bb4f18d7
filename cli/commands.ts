// Every command of the `influxring` tool, in the order `influxring --help` lists them. A command's name
// may be two words (`nodes add`): main.ts takes the longest name the arguments start with.
import type { Command } from './command.js';
import { anomaliesCommand } from './commands/anomalies.js';
import { circlesCommand } from './commands/circles.js';
import { circlesAddCommand } from './commands/circles-add.js';
import { cleanupCommand } from './commands/cleanup.js';
import { importCommand } from './commands/import.js';
import { jobsCommand } from './commands/jobs.js';
import { jobsCancelCommand } from './commands/jobs-cancel.js';
import { jobsShowCommand } from './commands/jobs-show.js';
import { nodesCommand } from './commands/nodes.js';
import { nodesAddCommand } from './commands/nodes-add.js';
import { nodesRmCommand } from './commands/nodes-rm.js';
import { nodesSetCommand } from './commands/nodes-set.js';
import { rebalanceCommand } from './commands/rebalance.js';
import { recoveryCommand } from './commands/recovery.js';
import { replicaCommand } from './commands/replica.js';
import { resyncCommand } from './commands/resync.js';
import { statusCommand } from './commands/status.js';

export const COMMANDS: readonly Command[] = [
  statusCommand,
  circlesCommand,
  circlesAddCommand,
  nodesCommand,
  nodesAddCommand,
  nodesRmCommand,
  nodesSetCommand,
  replicaCommand,
  rebalanceCommand,
  recoveryCommand,
  resyncCommand,
  cleanupCommand,
  jobsCommand,
  jobsShowCommand,
  jobsCancelCommand,
  anomaliesCommand,
  importCommand,
];

/** The command `args` name and the arguments after its name, or null when they name none. */
export function findCommand(args: readonly string[]): { command: Command; rest: string[] } | null {
  const [first, second] = args;
  if (first === undefined) return null;
  if (second !== undefined) {
    const two = COMMANDS.find((command) => command.name === `${first} ${second}`);
    if (two !== undefined) return { command: two, rest: args.slice(2) };
  }
  const one = COMMANDS.find((command) => command.name === first);
  return one === undefined ? null : { command: one, rest: args.slice(1) };
}

/** The sub-commands of a group (`nodes` → nodes add, nodes rm, nodes set). */
export function subcommands(group: string): string[] {
  return COMMANDS.filter((command) => command.name.startsWith(`${group} `)).map((command) => command.name);
}
