const PLAIN_NAMESPACE = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The hash tag of a namespace in Redis key names, also the namespace's part of a BullMQ job id
 * (which may not hold `:`): the namespace itself if plain, else `~<hex of its UTF-8 bytes>`.
 */
export function namespaceTag(namespace: string): string {
  return PLAIN_NAMESPACE.test(namespace)
    ? namespace
    : `~${Buffer.from(namespace, 'utf8').toString('hex')}`;
}

/** The namespace of a hash tag: namespaceTag reversed. */
export function namespaceOfTag(tag: string): string {
  return tag.startsWith('~') ? Buffer.from(tag.slice(1), 'hex').toString('utf8') : tag;
}

/**
 * Where a namespace lives in Redis. Every key carries the hash tag `{<tag>}` of its namespace, so a
 * namespace sits in one Redis Cluster slot and every script touches one slot. The tag is the
 * namespace itself when it is made of `[A-Za-z0-9._-]` and at most 64 characters (the names
 * allowed before any name was: their data keeps its keys); any other namespace (`team:alpha`,
 * `prod/eu`, `日本語`, `a{b`) is `~` followed by the lowercase hex of its UTF-8 bytes. `~` is not in
 * that alphabet and hex is one-to-one, so no two namespaces share a tag, and a tag never holds `{`,
 * `}` or `:`, so it cannot break out of its place. Agent ids and keys never appear in Redis key
 * names: they live inside hash fields and sorted-set members (see record-fields.ts, and marks.ts
 * for NUL, SOH and the other marks below).
 *
 *   <prefix>:{<tag>}:clock    string  the commit counter (last commitTs)
 *   <prefix>:{<tag>}:log      stream  one entry per commit, id `<commitTs>-0` (the history)
 *   <prefix>:{<tag>}:state    hash    record -> "<version> <commitTs> [<json>]" (latest, incl. tombstones)
 *                                     and record NUL version -> commitTs (the version index);
 *                                     BEL -> the compaction horizon (compactedTs)
 *   <prefix>:{<tag>}:index    zset    lexicographic: live records (agentId NUL key, for listKeys and
 *                                     scanPrefix), replay entries (agentId SOH <padded commitTs>),
 *                                     records that ever existed (agentId ENQ key) and the agent
 *                                     list (ACK agentId, for listAgents)
 *   <prefix>:{<tag>}:deadlines zset    open transaction id -> deadline (the timeout sweeps' index)
 *   <prefix>:{<tag>}:tx:<id>  hash    one transaction: machine snapshot, deadline, outcome, 'chosen'
 *                                     when begun with a caller's id, and its staged operations
 *                                     (record -> "<seq>:<w|d>:<json>")
 *   <prefix>:{<tag>}:finished hash    buffered transactions, once finished: id -> "<state> <commitTs>
 *                                     <token> <createdAt> <finishedAt> [<appended keys>]"
 *   <prefix>:{<tag>}:finishedAt zset   the same ids -> finishedAt (their expiry, after retention)
 *   <prefix>:{<tag>}:staged   hash    the namespace's ledger of staged bytes (maxStagedBytesPerNamespace):
 *                                     open transaction id -> bytes it staged, and 'total'
 *   <prefix>:{<tag>}:retention hash   the namespace's retention policy (maxVersionsPerKey, maxAgeMs,
 *                                     deletedRecordTtlMs; 'explicit' once set) and compaction totals
 *   <prefix>:{<tag>}:fence    string  durability 'replicated' only: written before a WAIT that must
 *                                     cover an earlier commit (expires after the retention)
 *   <prefix>:{<tag>}:import   hash    a snapshot import into the namespace (snapshot-import.ts):
 *                                     which dump, how far, done or not
 *
 * One key is outside every namespace (so in a slot of its own on a Cluster):
 *
 *   <prefix>:namespaces       zset    lexicographic: every namespace that was ever committed to
 *                                     through this version (listNamespaces); see namespaceRegistryKey
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
  /** The namespace's hash tag (without the braces). */
  readonly tag: string;
  readonly staged: string;
  readonly retention: string;
  readonly import: string;
  private readonly base: string;

  constructor(
    readonly prefix: string,
    readonly namespace: string,
  ) {
    this.tag = namespaceTag(namespace);
    this.base = `${prefix}:{${this.tag}}:`;
    this.clock = `${this.base}clock`;
    this.log = `${this.base}log`;
    this.state = `${this.base}state`;
    this.index = `${this.base}index`;
    this.deadlines = `${this.base}deadlines`;
    this.finished = `${this.base}finished`;
    this.finishedAt = `${this.base}finishedAt`;
    this.fence = `${this.base}fence`;
    this.staged = `${this.base}staged`;
    this.retention = `${this.base}retention`;
    this.import = `${this.base}import`;
  }

  transaction(localId: string): string {
    return `${this.base}tx:${localId}`;
  }
}

/**
 * The registry of namespaces: a sorted set of names (score 0, so in byte-wise order). It cannot
 * live in a namespace's slot (it spans them all), so it is written apart from the commit script,
 * before a process's first commit to a namespace (namespace-registry.ts).
 */
export function namespaceRegistryKey(prefix: string): string {
  return `${prefix}:namespaces`;
}
