// `influxring import FILE --db DB --measurement M [--time COL] [--tag COL]... [--field COL]...`: loads
// a CSV file (exported metrics) through the proxy's /write, with a progress bar and a summary.
import type { Readable } from 'node:stream';
import type { Command } from '../command.js';
import { PROXY_FLAG, resolveConnection, USER_FLAGS } from '../connection.js';
import { IMPORT_FLAGS, importOptions } from '../import-options.js';
import { formatSummary } from '../import-summary.js';
import { runImport } from '../importer.js';
import { ProxyClient } from '../proxy-client.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'load a CSV file into a database through the proxy',
  usage: 'influxring import FILE --db DB --measurement NAME [--time COL] [--tag COL]... [--field COL]... [options]',
  description: [
    'Writes every row of a CSV file (- for stdin) as a point through the proxy\'s /write, which places it',
    'like any other write. The first line names the columns. One column is the time (RFC 3339, or an',
    'integer epoch in --precision); columns given with --tag are tags; the fields are the columns given',
    'with --field, or every other column. Field types are inferred from the first 1000 rows (numbers as',
    'float, true/false as boolean, else string) unless set with --field-type COL=TYPE.',
    '',
    'A row that cannot become a point stops the import with its line number (the rows before it are',
    'written); with --skip-invalid such rows are counted and skipped. At the end a summary shows the',
    'rows, points, time and rate.',
  ],
  flags: [...IMPORT_FLAGS, PROXY_FLAG, ...USER_FLAGS],
  notes: [
    'Example:',
    '  influxring import cpu.csv --db demo --measurement cpu --time timestamp --tag host --tag region',
  ],
  async run(flags, context) {
    const options = importOptions(flags);
    const client = new ProxyClient(resolveConnection(flags, context.env, { proxyUser: true }), { connections: options.concurrency });
    try {
      const { stats, error } = await runImport(options, client, { stdin: context.stdin as Readable, stderr: context.stderr });
      context.stdout.write(formatSummary(stats));
      if (error !== null) throw error;
    } finally {
      await client.close();
    }
  },
};
