/**
 * Where a namespace lives in Redis. Every key carries the hash tag `{<namespace>}`, so a namespace
 * sits in one Redis Cluster slot and every script touches one slot. Namespaces are restricted to
 * `[A-Za-z0-9._-]`, so a namespace cannot break out of its tag. Agent ids and keys never appear in
 * Redis key names: they live inside hash fields and sorted-set members (see record-fields.ts).
 *
 *   <prefix>:{<ns>}:clock     string  the commit counter (last commitTs)
 *   <prefix>:{<ns>}:log       stream  one entry per commit, id `<commitTs>-0` (the history)
 *   <prefix>:{<ns>}:state     hash    record -> "<version> <commitTs> [<json>]" (latest, incl. tombstones)
 *                                     and record NUL version -> commitTs (the version index)
 *   <prefix>:{<ns>}:index     zset    lexicographic: live records (agentId NUL key, for listKeys and
 *                                     scanPrefix) and replay entries (agentId SOH <padded commitTs>)
 *   <prefix>:{<ns>}:deadlines zset    open transaction id -> deadline (the timeout sweeps' index)
 *   <prefix>:{<ns>}:tx:<id>   hash    one transaction: machine snapshot, deadline, outcome, 'chosen'
 *                                     when begun with a caller's id, and its staged operations
 *                                     (record -> "<seq>:<w|d>:<json>")
 *   <prefix>:{<ns>}:finished  hash    buffered transactions, once finished: id -> "<state> <commitTs>
 *                                     <token> <createdAt> <finishedAt> [<appended keys>]"
 *   <prefix>:{<ns>}:finishedAt zset   the same ids -> finishedAt (their expiry, after retention)
 *   <prefix>:{<ns>}:staged    hash    the namespace's ledger of staged bytes (maxStagedBytesPerNamespace):
 *                                     open transaction id -> bytes it staged, and 'total'
 *   <prefix>:{<ns>}:fence     string  durability 'replicated' only: written before a WAIT that must
 *                                     cover an earlier commit (expires after the retention)
 */
export class NamespaceKeys {
  readonly clock: string;
  readonly log: string;
  readonly state: string;
  readonly index: string;
  readonly deadlines: string;
  readonly finished: string;
  readonly finishedAt: string;
  readonly fence: string;
  readonly staged: string;
  private readonly base: string;

  constructor(
    readonly prefix: string,
    readonly namespace: string,
  ) {
    this.base = `${prefix}:{${namespace}}:`;
    this.clock = `${this.base}clock`;
    this.log = `${this.base}log`;
    this.state = `${this.base}state`;
    this.index = `${this.base}index`;
    this.deadlines = `${this.base}deadlines`;
    this.finished = `${this.base}finished`;
    this.finishedAt = `${this.base}finishedAt`;
    this.fence = `${this.base}fence`;
    this.staged = `${this.base}staged`;
  }

  transaction(localId: string): string {
    return `${this.base}tx:${localId}`;
  }
}
