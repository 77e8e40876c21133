import type { Redis, Cluster } from 'ioredis';
import { SEPARATOR } from '../storage/marks';
import { asError, isConnectionError } from '../reporting/background-errors';
import type { LoggedOperation } from '../storage/record.repository';
import { runCommand, toStorageError } from '../storage/redis-errors';
import { COMMIT_TIME_FIELD, parseLoggedOperation } from '../storage/stored-value';
import type { LogSubscription } from './log-subscription';

/** How long one XREAD blocks: the longest a new namespace waits when CLIENT UNBLOCK is refused. */
const BLOCK_MS = 1000;
/** How often (every 20 ms, up to a second) an interrupt retries while the read is not yet blocked. */
const INTERRUPT_ATTEMPTS = 50;
const INTERRUPT_PAUSE_MS = 20;

export interface LogReaderDeps {
  /** The client's ordinary connection: reads the clocks and sends CLIENT UNBLOCK. */
  readonly main: Redis | Cluster;
  readonly logKey: (namespace: string) => string;
  readonly clockKey: (namespace: string) => string;
  /** A dedicated connection for the blocking reads, and how to drop it. */
  readonly open: () => Redis | Cluster;
  readonly drop: (connection: Redis | Cluster) => void;
  /** Entries read per log and call. */
  readonly count: number;
  /** True when one read may cover several namespaces (one Redis); false on a Cluster (one slot each). */
  readonly multiple: boolean;
  /** Where the reader's own failures go (those no follower is told of). */
  readonly onError: (error: Error) => void;
}

interface FollowedLog {
  readonly key: string;
  /** The last commitTs read from the log. */
  position: number;
  readonly agents: Map<string, Set<LogSubscription>>;
  /** Followers with an endTs: finished once the log has passed it. */
  readonly bounded: Set<LogSubscription>;
}

/**
 * One blocking reader (XREAD BLOCK on one dedicated connection) of the logs of every followed
 * namespace, handing each new entry to the followers of the agents it touches. A namespace is read
 * from its first follower's arrival until its last one leaves; with no follower left the connection
 * is closed. A namespace added while the read blocks interrupts it (CLIENT UNBLOCK on the main
 * connection), so the next read includes it at once.
 */
export class LogReader {
  private readonly logs = new Map<string, FollowedLog>();
  private connection: Redis | Cluster | undefined;
  private connectionId: number | undefined;
  /** Namespaces of the read in flight (empty between reads). */
  private inFlight: ReadonlySet<string> = new Set();
  private interrupting = false;
  private adding = 0;
  private closed = false;

  constructor(private readonly deps: LogReaderDeps) {}

  /** No namespace followed and none being added: the reader holds no connection. */
  get idle(): boolean {
    return this.logs.size === 0 && this.adding === 0;
  }

  /** Starts delivering the agent's new commits to `subscription` (from the namespace's clock on). */
  async add(subscription: LogSubscription, endTs: number): Promise<void> {
    const { namespace, agentId } = subscription;
    this.adding++;
    try {
      if (!this.logs.has(namespace)) {
        const clock = await runCommand(undefined, () =>
          this.deps.main.get(this.deps.clockKey(namespace)),
        );
        if (!this.logs.has(namespace)) {
          this.logs.set(namespace, {
            key: this.deps.logKey(namespace),
            position: Number(clock ?? 0),
            agents: new Map(),
            bounded: new Set(),
          });
        }
      }
    } finally {
      this.adding--;
    }
    if (this.closed) {
      this.logs.clear(); // closed while the clock was read: no reading starts again
      subscription.close();
      return;
    }
    const log = this.logs.get(namespace)!;
    if (subscription.isClosed) {
      if (log.agents.size === 0) this.forget(namespace);
      return;
    }
    let followers = log.agents.get(agentId);
    if (!followers) log.agents.set(agentId, (followers = new Set()));
    followers.add(subscription);
    if (endTs < Number.MAX_SAFE_INTEGER) {
      log.bounded.add(subscription);
      if (log.position >= endTs) subscription.finish();
    }
    this.start();
  }

  /** Stops delivering to `subscription`; the last follower of a namespace stops its reading. */
  remove(subscription: LogSubscription): void {
    const log = this.logs.get(subscription.namespace);
    const followers = log?.agents.get(subscription.agentId);
    if (!log || !followers?.delete(subscription)) return;
    log.bounded.delete(subscription);
    if (followers.size === 0) log.agents.delete(subscription.agentId);
    if (log.agents.size === 0) this.forget(subscription.namespace);
  }

  /** Ends every follower (their replays end) and closes the connection. */
  close(): void {
    this.closed = true;
    const followers = this.followers();
    this.logs.clear();
    this.stop();
    for (const subscription of followers) subscription.close();
  }

  private forget(namespace: string): void {
    this.logs.delete(namespace);
    if (this.logs.size === 0) this.stop();
  }

  private followers(): LogSubscription[] {
    return [...this.logs.values()].flatMap((log) =>
      [...log.agents.values()].flatMap((set) => [...set]),
    );
  }

  private start(): void {
    if (this.connection) {
      this.interrupt();
      return;
    }
    const connection = this.deps.open();
    this.connection = connection;
    void this.run(connection);
  }

  private stop(): void {
    const connection = this.connection;
    this.connection = undefined;
    this.connectionId = undefined;
    this.inFlight = new Set();
    // A read blocked on it fails at once; its loop sees it is no longer current and ends.
    if (connection) this.deps.drop(connection);
  }

  private async run(connection: Redis | Cluster): Promise<void> {
    try {
      if (this.deps.multiple) {
        // Without CLIENT ID (a managed Redis may rename CLIENT) no interrupts: BLOCK_MS bounds the wait.
        const id = await connection.client('ID').catch((error: unknown) => {
          this.degraded('CLIENT ID', error);
          return undefined;
        });
        if (this.connection === connection && id !== undefined) this.connectionId = Number(id);
      }
      while (this.connection === connection && this.logs.size > 0) {
        const namespaces = [...this.logs.keys()];
        const logs = namespaces.map((namespace) => this.logs.get(namespace)!);
        this.inFlight = new Set(namespaces);
        const reply = await connection.xread(
          'COUNT',
          this.deps.count,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...logs.map((log) => log.key),
          ...logs.map((log) => `${log.position}-0`),
        );
        if (this.connection !== connection) return;
        this.inFlight = new Set();
        for (const [key, entries] of reply ?? []) {
          const namespace = namespaces[logs.findIndex((log) => log.key === key)];
          const log = namespace === undefined ? undefined : this.logs.get(namespace);
          if (log) this.dispatch(log, entries);
        }
      }
    } catch (error) {
      if (this.connection !== connection) return; // stopped: the error is the dropped connection
      // Every follower of this reader learns of the failure; a later follower starts afresh.
      const failure = toStorageError(error);
      const followers = this.followers();
      this.logs.clear();
      this.stop();
      for (const subscription of followers) subscription.fail(failure);
    }
  }

  private dispatch(log: FollowedLog, entries: Array<[id: string, fields: string[]]>): void {
    for (const [id, fields] of entries) {
      const commitTs = Number(id.slice(0, id.indexOf('-')));
      if (commitTs <= log.position) continue; // re-added meanwhile: already delivered
      log.position = commitTs;
      const byAgent = new Map<string, LoggedOperation[]>();
      // The commit's time ends the entry (COMMIT_TIME_FIELD), absent in entries logged before.
      const time =
        fields[fields.length - 2] === COMMIT_TIME_FIELD ? Number(fields[fields.length - 1]) : null;
      for (let i = 2; i < fields.length; i += 2) {
        const field = fields[i]!;
        const end = field.indexOf(SEPARATOR);
        const agentId = end < 0 ? undefined : field.slice(0, end);
        if (agentId === undefined || !log.agents.has(agentId)) continue;
        let operations = byAgent.get(agentId);
        if (!operations) byAgent.set(agentId, (operations = []));
        operations.push({ key: field.slice(end + 1), ...parseLoggedOperation(fields[i + 1]!) });
      }
      for (const [agentId, operations] of byAgent) {
        const event = {
          txId: fields[1]!,
          commitTs,
          operations,
          ...(time === null ? {} : { time }),
        };
        for (const subscription of log.agents.get(agentId)!) subscription.push(event);
      }
    }
    for (const subscription of log.bounded) {
      if (subscription.endTs <= log.position) subscription.finish();
    }
  }

  /**
   * A command the reader does without failed: followers still get every event, but one that
   * follows a new namespace may wait up to BLOCK_MS for it. Reported, unless Redis is out of reach
   * (the connection's own errors report that).
   */
  private degraded(command: string, error: unknown): void {
    if (this.connection === undefined || isConnectionError(error)) return;
    this.deps.onError(
      new Error(
        `${command} failed (${asError(error).message}): without it the shared follow reader cannot interrupt its ` +
          `blocked read, so a replay that follows a new namespace may wait up to ${BLOCK_MS} ms`,
        { cause: error },
      ),
    );
  }

  /** Makes the blocked read return (CLIENT UNBLOCK) so that the next one covers every namespace. */
  private interrupt(): void {
    if (!this.deps.multiple || this.interrupting) return;
    this.interrupting = true;
    void (async () => {
      try {
        for (let attempt = 0; attempt < INTERRUPT_ATTEMPTS && this.connection; attempt++) {
          const missing = [...this.logs.keys()].some((ns) => !this.inFlight.has(ns));
          if (!missing || this.inFlight.size === 0) return; // the next read covers them all
          if (this.connectionId !== undefined) {
            const unblocked = await this.deps.main.client('UNBLOCK', this.connectionId);
            if (unblocked === 1) return;
          }
          // Not blocked yet (the read is on its way): try again shortly.
          await new Promise((resolve) => setTimeout(resolve, INTERRUPT_PAUSE_MS));
        }
      } catch (error) {
        // CLIENT UNBLOCK refused (a managed Redis may rename it): the read's BLOCK_MS ends it.
        this.degraded('CLIENT UNBLOCK', error);
      } finally {
        this.interrupting = false;
      }
    })();
  }
}
