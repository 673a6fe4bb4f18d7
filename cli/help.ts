// Help texts, built from the commands' declarations so the help never disagrees with the parser, and the
// suggestion for a misspelt command.
import type { Command } from './command.js';
import type { FlagSpec } from './flags.js';

const HELP_FLAG: FlagSpec = { name: 'help', kind: 'boolean', help: 'show this help (also -h)' };

function flagColumn(spec: FlagSpec): string {
  return spec.kind === 'boolean' ? `--${spec.name}` : `--${spec.name} ${spec.value ?? 'VALUE'}`;
}

/** The flags of a command, one aligned line each. */
function formatFlags(specs: readonly FlagSpec[]): string[] {
  const width = Math.max(0, ...specs.map((spec) => flagColumn(spec).length));
  return specs.map((spec) => `  ${flagColumn(spec).padEnd(width)}  ${spec.help}${spec.repeated ? ' (repeatable)' : ''}`);
}

/** `influxring <command> --help`. */
export function commandHelp(command: Command): string {
  const flags = [...command.flags, HELP_FLAG];
  return [`Usage: ${command.usage}`, '', ...command.description, '', 'Options:', ...formatFlags(flags), ...(command.notes.length > 0 ? ['', ...command.notes] : []), ''].join('\n');
}

/** `influxring --help`. */
export function toolHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `influxring ${version}: command-line tool for an InfluxRing proxy cluster`,
    '',
    'Usage: influxring <command> [options]',
    '       influxring <command> --help',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Where the proxy is: --proxy URL, else $INFLUXRING_PROXY_URL, else the local cluster that `npm start`',
    'runs (cluster.json in $INFLUXRING_LOCAL_DIR or <project>/.local/cluster/). The admin token: --token,',
    'else $INFLUXRING_ADMIN_TOKEN, else the local cluster\'s.',
    '',
    'Exit status: 0 done, 1 failed, 2 bad command line or setup, 130 interrupted.',
    '',
  ].join('\n');
}

/** Edit distance between two words (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate closest to a misspelt `word` (at most 2 edits away), or null. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
