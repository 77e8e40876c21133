import { StatehouseClient } from '@statehouse/client';
import {
  connectionOptions,
  type ConnectionOptions,
  type GlobalFlags,
} from './connection/connection-options';
import { ServerProbe } from './connection/server-probe';
import { Output } from './output/output';

/** How long one call may take before the server counts as not answering. */
const CALL_TIMEOUT_MS = 30_000;

/** What every command runs with: the output, the connection, and Ctrl-C. */
export class Context {
  readonly connection: ConnectionOptions;
  readonly out: Output;
  /** Aborted on SIGINT / SIGTERM: a follow or a dump stops, closes its stream and exits 0. */
  readonly interrupt = new AbortController();
  /** Set by a command that stops cleanly on Ctrl-C (it watches `interrupt.signal`). */
  interruptible = false;
  private client: Promise<StatehouseClient> | undefined;
  private serverProbe: ServerProbe | undefined;

  constructor(flags: GlobalFlags & { json?: boolean }, env: NodeJS.ProcessEnv = process.env) {
    this.out = new Output(flags.json === true, process.stdout, process.stderr, env);
    this.connection = connectionOptions(flags, env);
  }

  /**
   * The network client, connected on first use (the server must answer), with the command's
   * namespace as its default (or `namespace`, for a command about a transaction of another).
   */
  connect(namespace = this.connection.namespace): Promise<StatehouseClient> {
    this.client ??= StatehouseClient.connect({
      url: this.connection.address,
      namespace,
      callTimeoutMs: CALL_TIMEOUT_MS,
      ...(this.connection.token ? { token: this.connection.token } : {}),
    });
    return this.client;
  }

  probe(): ServerProbe {
    this.serverProbe ??= new ServerProbe(
      this.connection.address,
      this.connection.token,
      CALL_TIMEOUT_MS,
    );
    return this.serverProbe;
  }

  async close(): Promise<void> {
    this.serverProbe?.close();
    const client = await this.client?.catch(() => undefined);
    await client?.close();
  }
}
