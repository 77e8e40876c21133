import { FLAGS } from './flags';

/** --help: every flag with its variables, a description and its default, aligned. */
function renderUsage(): string {
  const rows: Array<[flag: string, description: string, details: string]> = [
    ...Object.entries(FLAGS).map(([flag, spec]): [string, string, string] => [
      `--${flag}${spec.boolean ? '' : ` ${spec.value ?? '<value>'}`}`,
      spec.description,
      `env: ${spec.variable.join(', ')}    default: ${spec.default}`,
    ]),
    ['--version', 'Print the name and version, and exit', ''],
    ['--help, -h', 'Print this help, and exit', ''],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return `Usage: statehouse-server [flags]   (node apps/server/dist/main.js [flags], or npm start -- [flags])

The Statehouse server: gRPC statehouse.v1 (wire-compatible with the Statehouse daemon) and an
HTTP/JSON API, over Redis. Without a Redis URL or cluster nodes it starts its own redis-server
(AOF, appendfsync always) with its data in --data-dir, and stops it on shutdown.

Flags (each also read from its environment variable; a flag wins over its variable):
${rows
  .map(
    ([flag, description, details]) =>
      `  ${flag.padEnd(width)}${description}` +
      (details ? `\n  ${''.padEnd(width)}${details}` : ''),
  )
  .join('\n')}

Environment only:
  ${'STATEHOUSE_ADDR'.padEnd(width)}gRPC listen address: host:port, [v6]:port or :port (the daemon's
  ${''.padEnd(width)}variable). Wins over STATEHOUSE_HOST and STATEHOUSE_GRPC_PORT for gRPC;
  ${''.padEnd(width)}--host and --grpc-port win over it
`;
}

export const USAGE = renderUsage();
