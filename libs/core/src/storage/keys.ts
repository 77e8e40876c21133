/**
 * Where a namespace lives in Redis. Every key carries the hash tag `{<namespace>}`, so a namespace
 * sits in one Redis Cluster slot and every script touches one slot. Namespaces are restricted to
 * `[A-Za-z0-9._-]`, so a namespace cannot break out of its tag. Agent ids and keys never appear in
 * Redis key names: they live inside hash fields and sorted-set members (see record-fields.ts).
 *
 *   <prefix>:{<ns>}:clock     string  the commit counter (last commitTs)
 *   <prefix>:{<ns>}:log       stream  one entry per commit, id `<commitTs>-0` (the history)
 *   <prefix>:{<ns>}:state     hash    record -> "<version> <commitTs> [<json>]" (latest, incl. tombstones)
 *   <prefix>:{<ns>}:live      zset    record members of live records, lexicographic (listKeys, scanPrefix)
 *   <prefix>:{<ns>}:versions  hash    record+version -> commitTs (getStateAtVersion)
 *   <prefix>:{<ns>}:agents    zset    agent + padded commitTs, lexicographic (replay index)
 *   <prefix>:{<ns>}:tx:<id>   hash    one transaction: machine snapshot, deadline, outcome
 *   <prefix>:{<ns>}:ops:<id>  hash    the transaction's staged operations, record -> "<seq>:<w|d>:<json>"
 */
export class NamespaceKeys {
  readonly clock: string;
  readonly log: string;
  readonly state: string;
  readonly live: string;
  readonly versions: string;
  readonly agents: string;
  private readonly base: string;

  constructor(
    readonly prefix: string,
    readonly namespace: string,
  ) {
    this.base = `${prefix}:{${namespace}}:`;
    this.clock = `${this.base}clock`;
    this.log = `${this.base}log`;
    this.state = `${this.base}state`;
    this.live = `${this.base}live`;
    this.versions = `${this.base}versions`;
    this.agents = `${this.base}agents`;
  }

  transaction(localId: string): string {
    return `${this.base}tx:${localId}`;
  }

  operations(localId: string): string {
    return `${this.base}ops:${localId}`;
  }
}
