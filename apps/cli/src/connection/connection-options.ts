import { CliError } from '../cli.error';

/** Where statehousectl connects when neither `--address` nor STATEHOUSE_ADDR says. */
export const DEFAULT_ADDRESS = '127.0.0.1:50051';
export const DEFAULT_NAMESPACE = 'default';

/** The global options, after the environment filled what the command line left out. */
export interface ConnectionOptions {
  /** host:port of the server's gRPC port. */
  readonly address: string;
  readonly token: string | undefined;
  /** The namespace of the command: `--namespace`, else STATEHOUSE_NAMESPACE, else `default`. */
  readonly namespace: string;
  /** True when `--namespace` or STATEHOUSE_NAMESPACE named it (restore defaults to the dump's). */
  readonly namespaceGiven: boolean;
}

/** The global options as commander parsed them. */
export interface GlobalFlags {
  readonly address?: string;
  readonly token?: string;
  readonly namespace?: string;
}

/**
 * Flags win over the environment (STATEHOUSE_ADDR, STATEHOUSE_TOKEN, STATEHOUSE_NAMESPACE), which
 * wins over the defaults. The address takes the official CLI's forms: `host:port`, `:port`
 * (127.0.0.1), `[v6]:port`, with or without `http://` / `grpc://`.
 */
export function connectionOptions(
  flags: GlobalFlags,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionOptions {
  const namespace = nonEmpty(flags.namespace) ?? nonEmpty(env.STATEHOUSE_NAMESPACE);
  return {
    address: normalizeAddress(
      nonEmpty(flags.address) ?? nonEmpty(env.STATEHOUSE_ADDR) ?? DEFAULT_ADDRESS,
    ),
    token: nonEmpty(flags.token) ?? nonEmpty(env.STATEHOUSE_TOKEN),
    namespace: namespace ?? DEFAULT_NAMESPACE,
    namespaceGiven: namespace !== undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** `host:port`, or a usage error saying what an address looks like. */
export function normalizeAddress(raw: string): string {
  const bare = raw.replace(/^(grpc|http|https):\/\//i, '').replace(/\/+$/, '');
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s]*):(\d{1,5})$/.exec(bare);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw CliError.usage(
      `invalid server address ${JSON.stringify(raw)}: expected host:port of the server's gRPC ` +
        'port, e.g. 127.0.0.1:50051 (--address or STATEHOUSE_ADDR)',
    );
  }
  return `${match[1] || '127.0.0.1'}:${port}`;
}
