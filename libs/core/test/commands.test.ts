// The Lua scripts called directly against real Redis: each return code, and the keys it leaves.
import { Redis } from 'ioredis';
import { ScriptCode } from '../src/commands/script-code';
import { defineScripts, type StatehouseConnection } from '../src/commands/scripts';
import { NamespaceKeys } from '../src/storage/keys';
import { SNAPSHOTS } from '../src/model/transaction.machine';
import { MAX_OPERATIONS_LIMIT } from '../src/client/statehouse.options';
import { redisUrl, sleep, uniqueNamespace } from './support/statehouse';

const RETENTION = 60_000;
let redis: StatehouseConnection;
let keys: NamespaceKeys;

beforeAll(() => {
  redis = defineScripts(new Redis(redisUrl()));
});

beforeEach(() => {
  keys = new NamespaceKeys('sh', uniqueNamespace('lua'));
});

afterAll(async () => {
  await redis.quit();
});

const tx = (id: string): string => keys.transaction(id);
const field = (agent: string, key: string): string => `${agent}\u0000${key}`;

async function begin(ids: string[], timeoutMs = 30_000, maxOpen = 1000): Promise<number[]> {
  return (await redis.statehouseBeginTransactions(
    2 + ids.length,
    keys.deadlines,
    keys.finished,
    ...ids.map(tx),
    SNAPSHOTS.open,
    RETENTION,
    maxOpen,
    ...ids.map(() => timeoutMs),
  )) as number[];
}

async function stage(
  ops: Array<[id: string, field: string, json: string | null, ifVersion?: number]>,
  limits: [maxOps: number, maxBytes: number] = [1000, 1 << 20],
  maxNamespaceBytes = 1 << 30,
): Promise<Array<number | string>> {
  return redis.statehouseStageOperations(
    2 + ops.length,
    keys.deadlines,
    keys.staged,
    ...ops.map(([id]) => tx(id)),
    ...limits,
    SNAPSHOTS.timedOut,
    RETENTION,
    maxNamespaceBytes,
    ...ops.flatMap(([, f, json, ifVersion]) => [
      f,
      json === null ? 'd' : 'w',
      json ?? '',
      ifVersion ?? '',
    ]),
  );
}

async function commitRaw(
  commits: Array<[id: string, token: string]>,
): Promise<Array<number | string>> {
  return redis.statehouseCommitTransactions(
    6 + commits.length,
    keys.clock,
    keys.log,
    keys.state,
    keys.index,
    keys.deadlines,
    keys.staged,
    ...commits.map(([id]) => tx(id)),
    SNAPSHOTS.committed,
    SNAPSHOTS.timedOut,
    SNAPSHOTS.aborted,
    RETENTION,
    ...commits.flatMap(([id, token]) => [token, `${keys.namespace}~${id}`, '']),
  );
}

/** The commit replies as (code, detail) pairs; the third element (appended keys) is checked apart. */
async function commit(
  commits: Array<[id: string, token: string]>,
): Promise<Array<number | string>> {
  const reply = await commitRaw(commits);
  return reply.filter((_, i) => i % 3 !== 2);
}

describe('beginTransactions', () => {
  it('creates open transaction hashes and their deadline entries', async () => {
    const [now, d1, d2] = await begin(['t1', 't2'], 5000);
    expect(d1).toBe(now! + 5000);
    expect(d2).toBe(now! + 5000);
    expect(await redis.hgetall(tx('t1'))).toEqual({
      state: 'open',
      snapshot: SNAPSHOTS.open,
      deadline: String(d1),
      createdAt: String(now),
      seq: '0',
      bytes: '0',
    });
    expect(await redis.zrange(keys.deadlines, '0', '-1', 'WITHSCORES')).toEqual([
      't1',
      String(d1),
      't2',
      String(d2),
    ]);
    const ttl = await redis.pttl(tx('t1'));
    expect(ttl).toBeGreaterThan(5000 + RETENTION - 1000);
    expect(ttl).toBeLessThanOrEqual(5000 + RETENTION);
  });

  it('leaves a transaction as it is when a pipelined begin (r) reaches it again', async () => {
    await begin(['t1'], 5000);
    await redis.hset(tx('t1'), 'state', 'committed', 'seq', 3);
    const [, deadline] = await redis.statehouseBeginTransactions(
      3,
      keys.deadlines,
      keys.finished,
      tx('t1'),
      SNAPSHOTS.open,
      RETENTION,
      1000,
      'r5000',
    );
    expect(await redis.hmget(tx('t1'), 'state', 'seq', 'chosen')).toEqual(['committed', '3', null]);
    expect(deadline).toBe(Number(await redis.hget(tx('t1'), 'deadline')));
  });
});

describe('stageOperations', () => {
  it('stages writes and deletes as fields of the transaction, last one per record winning', async () => {
    await begin(['t1']);
    expect(
      await stage([
        ['t1', field('a', 'k'), '{"v":1}'],
        ['t1', field('a', 'gone'), null],
        ['t1', field('a', 'k'), '{"v":2}'],
        ['missing', field('a', 'k'), '{}'],
      ]),
    ).toEqual([ScriptCode.OK, 1, ScriptCode.OK, 2, ScriptCode.OK, 3, ScriptCode.NOT_FOUND, 0]); // OK: its seq
    const stored = await redis.hgetall(tx('t1'));
    expect(stored[field('a', 'k')]).toBe('3:w:{"v":2}');
    expect(stored[field('a', 'gone')]).toBe('2:d:');
    expect(stored.seq).toBe('3');
    expect(await redis.exists(tx('missing'))).toBe(0);
  });

  it('refuses past the limits without staging, counting distinct records and remaining bytes', async () => {
    await begin(['t1']);
    await stage(
      [
        ['t1', field('a', 'k1'), '{}'],
        ['t1', field('a', 'k2'), '{}'],
      ],
      [2, 100],
    );
    expect(await stage([['t1', field('a', 'k1'), '{"again":1}']], [2, 100])).toEqual([
      ScriptCode.OK,
      3,
    ]);
    expect(await stage([['t1', field('a', 'k3'), '{}']], [2, 100])).toEqual([
      ScriptCode.TOO_MANY_OPERATIONS,
      2,
    ]);
    const big = JSON.stringify({ s: 'x'.repeat(90) });
    expect(await stage([['t1', field('a', 'k1'), big]], [2, 100])).toEqual([
      ScriptCode.TOO_MANY_BYTES,
      100,
    ]);
    expect(
      Object.keys(await redis.hgetall(tx('t1')))
        .filter((f) => f.includes('\u0000'))
        .sort(),
    ).toEqual([field('a', 'k1'), field('a', 'k2')]);
  });

  it('times out a transaction past its deadline: no staged field, no deadline entry', async () => {
    await begin(['t1'], 30);
    await stage([['t1', field('a', 'k'), '{}']]);
    await sleep(60);
    expect(await stage([['t1', field('a', 'k2'), '{}']])).toEqual([ScriptCode.TIMEOUT, 0]);
    const stored = await redis.hgetall(tx('t1'));
    expect(stored.state).toBe('timedOut');
    expect(stored.snapshot).toBe(SNAPSHOTS.timedOut);
    expect(Object.keys(stored).some((f) => f.includes('\u0000'))).toBe(false);
    expect(await redis.zscore(keys.deadlines, 't1')).toBeNull();
    expect(await stage([['t1', field('a', 'k'), '{}']])).toEqual([ScriptCode.NOT_OPEN, 'timedOut']);
  });
});

describe('commitTransactions', () => {
  it('applies records, versions, index, log and counter, and finishes the transaction', async () => {
    await begin(['t1', 't2']);
    await stage([
      ['t1', field('a', 'k'), '{"v":1}'],
      ['t1', field('b', 'x'), '{"w":true}'],
      ['t2', field('a', 'k'), null],
    ]);
    expect(
      await commit([
        ['t1', 'tok1'],
        ['t2', 'tok2'],
      ]),
    ).toEqual([ScriptCode.OK, 1, ScriptCode.OK, 2]);
    expect(await redis.get(keys.clock)).toBe('2');
    expect(await redis.hgetall(keys.state)).toEqual({
      [field('a', 'k')]: '2 2',
      [`${field('a', 'k')}\u00001`]: '1',
      [`${field('a', 'k')}\u00002`]: '-2', // a delete's commitTs is stored negative
      [field('b', 'x')]: '1 1 {"w":true}',
      [`${field('b', 'x')}\u00001`]: '1',
      // How often a record of the agent came into existence or was deleted (phantom checks).
      'a\u0002': '2',
      'b\u0002': '1',
      // The namespace's first commit: its agent list is complete (no backfill to run).
      '\u0006': 'indexed',
    });
    expect(await redis.zrange(keys.index, '0', '-1')).toEqual([
      '\u0006a', // the agent list (listAgents), before every agent's own entries
      '\u0006b',
      'a\u00010000000000000001',
      'a\u00010000000000000002',
      'a\u0005k', // every record that ever existed, for listings as of a commitTs
      field('b', 'x'),
      'b\u00010000000000000001',
      'b\u0005x',
    ]);
    expect(await redis.xrange(keys.log, '-', '+')).toEqual([
      [
        '1-0',
        [
          'tx',
          `${keys.namespace}~t1`,
          field('a', 'k'),
          '1:{"v":1}',
          field('b', 'x'),
          '1:{"w":true}',
          't', // the commit's time, ms on the Redis clock (retention's maxAgeMs)
          expect.stringMatching(/^\d{13}$/),
        ],
      ],
      [
        '2-0',
        ['tx', `${keys.namespace}~t2`, field('a', 'k'), '2:', 't', expect.stringMatching(/^\d+$/)],
      ],
    ]);
    const finished = await redis.hgetall(tx('t1'));
    expect(finished).toMatchObject({
      state: 'committed',
      snapshot: SNAPSHOTS.committed,
      commitTs: '1',
      commitToken: 'tok1',
    });
    expect(Object.keys(finished).sort()).toEqual(
      [
        'commitToken',
        'commitTs',
        'createdAt',
        'deadline',
        'finishedAt',
        'snapshot',
        'state',
      ].sort(),
    );
    expect(await redis.zcard(keys.deadlines)).toBe(0);
    expect(await redis.pttl(tx('t1'))).toBeLessThanOrEqual(RETENTION);
  });

  it('answers a retry with the same token with its commitTs, and anyone else with the state', async () => {
    await begin(['t1']);
    await commit([['t1', 'tok']]);
    expect(await commit([['t1', 'tok']])).toEqual([ScriptCode.NOOP, 1]);
    expect(await commit([['t1', 'other']])).toEqual([ScriptCode.NOT_OPEN, 'committed']);
    expect(await commit([['missing', 'tok']])).toEqual([ScriptCode.NOT_FOUND, 0]);
    expect(await redis.xlen(keys.log)).toBe(1);
  });

  it('continues the counter after the log, should the counter ever lag behind it', async () => {
    await begin(['t1', 't2']);
    await commit([['t1', 'tok']]);
    await redis.set(keys.clock, '0'); // as if a batch had stopped before writing it
    expect(await commit([['t2', 'tok']])).toEqual([ScriptCode.OK, 2]);
    expect(await redis.get(keys.clock)).toBe('2');
  });
});

type BufferedArgs = [
  id: string,
  token: string,
  ops: Array<[kind: 'w' | 'd' | 'a', field: string, json: string]>,
  conditions?: Array<[record: string, expected: string]>,
];

async function commitBuffered(commits: BufferedArgs[], retentionMs = RETENTION) {
  return redis.statehouseCommitBuffered(
    6 + commits.length,
    keys.clock,
    keys.log,
    keys.state,
    keys.index,
    keys.finished,
    keys.finishedAt,
    ...commits.map(([id]) => tx(id)),
    retentionMs,
    ...commits.flatMap(([id, token, ops, conditions = []]) => [
      `${keys.namespace}~${id}`,
      token,
      1000,
      ops.length,
      conditions.length,
      1,
      ...ops.flat(),
      ...conditions.flat(),
    ]),
  );
}

describe('commitBuffered', () => {
  it('applies what the call carries, leaving a compact finished record and no transaction key', async () => {
    expect(
      await commitBuffered([
        [
          'b1',
          'tok1',
          [
            ['w', field('a', 'k'), '{"v":1}'],
            ['a', 'a\u0000s:\u0000app1', '{"s":1}'],
          ],
        ],
        ['b2', 'tok2', [['d', field('a', 'k'), '']]],
      ]),
    ).toEqual([ScriptCode.OK, 1, 'app1\ts:000000000001', ScriptCode.OK, 2, '']);
    expect(await redis.get(keys.clock)).toBe('2');
    expect(await redis.hget(keys.state, field('a', 'k'))).toBe('2 2');
    expect(await redis.hget(keys.state, field('a', 's:000000000001'))).toBe('1 1 {"s":1}');
    expect(await redis.xlen(keys.log)).toBe(2);
    expect(await redis.exists(tx('b1'), tx('b2'))).toBe(0);
    expect(await redis.hget(keys.finished, 'b1')).toBe(
      'committed 1 tok1 1000 ' +
        (await redis.zscore(keys.finishedAt, 'b1')) +
        ' app1\ts:000000000001',
    );
    expect(await redis.zcard(keys.finishedAt)).toBe(2);
    // describe/resume find it through inspectTransaction.
    const inspected = await redis.statehouseInspectTransaction(tx('b1'), keys.finished, 'b1');
    expect(inspected.slice(0, 2)).toEqual([ScriptCode.OK, 'committed']);
    expect(inspected[5]).toBe('1');
  });

  it('answers a resend or retry with its commitTs, applying nothing twice', async () => {
    const ops: BufferedArgs[2] = [['w', field('a', 'k'), '{"v":1}']];
    await commitBuffered([['b1', 'tok', ops]]);
    expect(await commitBuffered([['b1', 'tok', ops]])).toEqual([ScriptCode.NOOP, 1, '']);
    expect(await commitBuffered([['b1', 'other', ops]])).toEqual([
      ScriptCode.NOT_OPEN,
      'committed',
      '',
    ]);
    expect(await redis.xlen(keys.log)).toBe(1);
    expect(await redis.hget(keys.state, field('a', 'k'))).toBe('1 1 {"v":1}');
  });

  it('checks every condition before writing, and records a conflict as aborted', async () => {
    await commitBuffered([['b1', 'tok', [['w', field('a', 'k'), '{"v":1}']]]]);
    expect(
      await commitBuffered([
        ['b2', 'tok', [['w', field('a', 'x'), '{}']], [[field('a', 'k'), '0']]],
        ['b3', 'tok', [['w', field('a', 'y'), '{}']], [['a\u0002', '1']]],
        ['b4', 'tok', [['w', field('a', 'z'), '{}']], [[field('a', 'k'), '!']]],
      ]),
    ).toEqual([
      ScriptCode.CONFLICT,
      field('a', 'k'),
      '',
      ScriptCode.OK,
      2,
      '',
      ScriptCode.CONFLICT,
      field('a', 'k'),
      '',
    ]);
    expect(await redis.hmget(keys.state, field('a', 'x'), field('a', 'z'))).toEqual([null, null]);
    expect(await redis.hget(keys.finished, 'b2')).toMatch(/^aborted 0 tok /);
    expect(await commitBuffered([['b2', 'tok', []]])).toEqual([ScriptCode.NOT_OPEN, 'aborted', '']);
  });

  it('answers a transaction sent twice in one call once: the second is a retry', async () => {
    const ops: BufferedArgs[2] = [['w', field('a', 'k'), '{"v":1}']];
    expect(
      await commitBuffered([
        ['b1', 'tok', ops],
        ['b1', 'tok', ops],
        ['b1', 'other', ops],
      ]),
    ).toEqual([ScriptCode.OK, 1, '', ScriptCode.NOOP, 1, '', ScriptCode.NOT_OPEN, 'committed', '']);
    expect(await redis.xlen(keys.log)).toBe(1);
    expect(await redis.hget(keys.state, field('a', 'k'))).toBe('1 1 {"v":1}');
  });

  it('checks and applies each transaction of a call after the ones before it', async () => {
    const k = field('a', 'k');
    expect(
      await commitBuffered([
        ['b1', 'tok', [['w', k, '{"v":1}']]],
        ['b2', 'tok', [['w', k, '{"v":2}']], [[k, '1']]],
        ['b3', 'tok', [['d', k, '']], [[k, '2']]],
        ['b4', 'tok', [['w', field('a', 'x'), '{}']], [[k, '!']]],
        ['b5', 'tok', [['w', k, '{"v":5}']], [[k, '!']]],
        ['b6', 'tok', [['w', field('a', 'y'), '{}']], [[k, '3']]],
        ['b7', 'tok', [['w', field('a', 'z'), '{}']], [['a\u0002', '3']]],
      ]),
    ).toEqual([
      ...[ScriptCode.OK, 1, '', ScriptCode.OK, 2, '', ScriptCode.OK, 3, ''],
      ...[ScriptCode.OK, 4, '', ScriptCode.OK, 5, ''],
      ...[ScriptCode.CONFLICT, k, '', ScriptCode.CONFLICT, 'a\u0002', ''],
    ]);
    expect(await redis.hget(keys.state, k)).toBe('4 5 {"v":5}');
    expect(await redis.hmget(keys.state, ...[1, 2, 3, 4].map((v) => `${k}\u0000${v}`))).toEqual([
      '1',
      '2',
      '-3',
      '5',
    ]);
    // Created (b1), deleted (b3), created again (b5), and a/x created (b4): four changes.
    expect(await redis.hget(keys.state, 'a\u0002')).toBe('4');
    expect(await redis.zrangebylex(keys.index, '[a\u0000', '[a\u0000\uffff')).toEqual([
      k,
      field('a', 'x'),
    ]);
    expect(await redis.zcard(keys.index)).toBe(2 + 2 + 5 + 1); // live, ever, replay, agent
    const log = await redis.xrange(keys.log, '-', '+');
    for (const [, fields] of log) expect(fields.slice(-2, -1)).toEqual(['t']);
    expect(log.map(([id, fields]) => [id, fields.slice(2, -2)])).toEqual([
      ['1-0', [k, '1:{"v":1}']],
      ['2-0', [k, '2:{"v":2}']],
      ['3-0', [k, '3:']],
      ['4-0', [field('a', 'x'), '1:{}']],
      ['5-0', [k, '4:{"v":5}']],
    ]);
  });

  it('keeps the commits before a runtime error in a call, and their outcomes for a retry', async () => {
    await redis.hset(keys.state, 'a\u0002', 'not a count'); // HINCRBY of a's membership fails
    const first: BufferedArgs = ['b1', 'tok', [['w', field('b', 'k'), '{"v":1}']]];
    await expect(
      commitBuffered([first, ['b2', 'tok', [['w', field('a', 'k'), '{"v":2}']]]]),
    ).rejects.toThrow(/not an integer/);
    expect(await redis.hget(keys.state, field('b', 'k'))).toBe('1 1 {"v":1}');
    expect(await commitBuffered([first])).toEqual([ScriptCode.NOOP, 1, '']);
    expect(await redis.hget(keys.state, field('b', 'k'))).toBe('1 1 {"v":1}');
    // b2's log entry took commitTs 2 before the error: the counter continues after it.
    expect(await commitBuffered([['b3', 'tok', []]])).toEqual([ScriptCode.OK, 3, '']);
  });

  it('commits a transaction of the most operations a transaction may hold', async () => {
    const ops: BufferedArgs[2] = Array.from({ length: MAX_OPERATIONS_LIMIT }, (_, i) => [
      'w',
      field('a', `k${i}`),
      '{}',
    ]);
    expect(await commitBuffered([['b1', 'tok', ops]])).toEqual([ScriptCode.OK, 1, '']);
    // Records and versions, the membership count and the agent list's mark.
    expect(await redis.hlen(keys.state)).toBe(2 * MAX_OPERATIONS_LIMIT + 2);
    // Live and ever entries, a replay entry and the agent's entry in the agent list.
    expect(await redis.zcard(keys.index)).toBe(2 * MAX_OPERATIONS_LIMIT + 2);
    expect(await commitBuffered([['b2', 'tok', ops]])).toEqual([ScriptCode.OK, 2, '']);
    expect(await redis.hget(keys.state, field('a', `k${MAX_OPERATIONS_LIMIT - 1}`))).toBe('2 2 {}');
  });

  it('forgets finished records past the retention, a bounded number per call', async () => {
    await commitBuffered([['old', 'tok', []]], 1);
    await sleep(5);
    await commitBuffered([['new', 'tok', []]], 1);
    expect(await redis.hkeys(keys.finished)).toEqual(['new']);
    expect(await redis.zrange(keys.finishedAt, '0', '-1')).toEqual(['new']);
  });
});

describe('conditions', () => {
  it('commits only while what was read is unchanged, else aborts naming the record', async () => {
    await begin(['w1']);
    await stage([['w1', field('a', 'k'), '{"v":1}']]);
    await commit([['w1', 'tok']]);
    await begin(['reader', 'writer']);
    const read = await redis.statehouseReadInTransaction(
      tx('reader'),
      keys.state,
      keys.deadlines,
      keys.staged,
      field('a', 'k'),
      SNAPSHOTS.timedOut,
      RETENTION,
    );
    expect(read).toEqual([ScriptCode.OK, 'committed', '1 1 {"v":1}']);
    expect((await redis.hgetall(tx('reader')))[`\u0001${field('a', 'k')}`]).toBe('1');
    await stage([
      ['reader', field('a', 'other'), '{}'],
      ['writer', field('a', 'k'), '{"v":2}'],
    ]);
    expect(
      await commit([
        ['writer', 'tok'],
        ['reader', 'tok'],
      ]),
    ).toEqual([ScriptCode.OK, 2, ScriptCode.CONFLICT, field('a', 'k')]);
    const aborted = await redis.hgetall(tx('reader'));
    expect(aborted.state).toBe('aborted');
    expect(Object.keys(aborted).some((f) => f.includes('\u0000'))).toBe(false);
    expect(await redis.hget(keys.state, field('a', 'other'))).toBeNull();
    expect(await redis.xlen(keys.log)).toBe(2);
  });

  it('checks ifVersion: a version, or 0 for "must not exist"', async () => {
    await begin(['t1', 't2', 't3']);
    await stage([['t1', field('a', 'new'), '{}', 0]]);
    expect(await commit([['t1', 'tok']])).toEqual([ScriptCode.OK, 1]);
    await stage([
      ['t2', field('a', 'new'), '{}', 0],
      ['t3', field('a', 'new'), null, 1],
    ]);
    expect(
      await commit([
        ['t2', 'tok'],
        ['t3', 'tok'],
      ]),
    ).toEqual([ScriptCode.CONFLICT, field('a', 'new'), ScriptCode.OK, 2]);
    await begin(['t4']);
    await stage([['t4', field('a', 'new'), '{"back":true}', 0]]); // a tombstone does not exist
    expect(await commit([['t4', 'tok']])).toEqual([ScriptCode.OK, 3]);
  });

  it('checks each commit of a batch against the commits before it in the batch', async () => {
    await begin(['t1', 't2', 't3', 't4']);
    await stage([
      ['t1', field('a', 'k'), '{"v":1}', 0],
      ['t2', field('a', 'k'), '{"v":2}', 0],
      ['t3', field('a', 'k'), '{"v":3}', 1],
      ['t4', field('a', 'k'), '{"v":4}', 1],
    ]);
    expect(
      await commit([
        ['t1', 'tok'],
        ['t2', 'tok'],
        ['t3', 'tok'],
        ['t4', 'tok'],
      ]),
    ).toEqual([
      ScriptCode.OK,
      1,
      ScriptCode.CONFLICT,
      field('a', 'k'),
      ScriptCode.OK,
      2,
      ScriptCode.CONFLICT,
      field('a', 'k'),
    ]);
    expect(await redis.hget(keys.state, field('a', 'k'))).toBe('2 2 {"v":3}');
  });
});

describe('namespace quotas', () => {
  it('begins nothing beyond maxOpenTransactionsPerNamespace (-11)', async () => {
    await begin(['t1']);
    const reply = await begin(['t2', 't3'], 30_000, 2);
    expect(reply[1]).toBeGreaterThan(0);
    expect(reply[2]).toBe(ScriptCode.QUOTA_OPEN_TRANSACTIONS);
    expect(await redis.exists(tx('t3'))).toBe(0);
    expect(await redis.zcard(keys.deadlines)).toBe(2);
  });

  it('keeps the staged-bytes ledger: refuses beyond the quota (-12), and a sweep of an expired transaction gives its bytes back', async () => {
    await begin(['t1', 't2']);
    await stage([['t1', field('a', 'k'), '{"v":1}']], undefined, 20);
    expect(await redis.hgetall(keys.staged)).toEqual({ total: '11', t1: '11' }); // 1:w:{"v":1}
    expect(await stage([['t2', field('a', 'k'), '{"v":12}']], undefined, 20)).toEqual([
      ScriptCode.QUOTA_STAGED_BYTES,
      20,
    ]);
    expect(Object.keys(await redis.hgetall(tx('t2'))).some((f) => f.includes('\u0000'))).toBe(
      false,
    );
    await redis.del(tx('t1')); // expired before any sweep reached it
    expect(
      await redis.statehouseTimeoutTransaction(
        tx('t1'),
        keys.deadlines,
        keys.staged,
        SNAPSHOTS.timedOut,
        RETENTION,
      ),
    ).toEqual([ScriptCode.NOT_FOUND]);
    expect(await redis.exists(keys.staged)).toBe(0); // back at zero: no key left
  });

  it('gives a batch of commits their staged bytes back, keeping the bytes of the others', async () => {
    await begin(['t1', 't2', 't3']);
    await stage([
      ['t1', field('a', 'k'), '{"v":1}'],
      ['t2', field('a', 'x'), '{"v":2}'],
      ['t3', field('a', 'y'), '{"v":33}'],
    ]);
    expect(await redis.hget(keys.staged, 'total')).toBe('34');
    expect(
      await commit([
        ['t1', 'tok'],
        ['t2', 'tok'],
      ]),
    ).toEqual([ScriptCode.OK, 1, ScriptCode.OK, 2]);
    expect(await redis.hgetall(keys.staged)).toEqual({ total: '12', t3: '12' });
    expect(await commit([['t3', 'tok']])).toEqual([ScriptCode.OK, 3]);
    expect(await redis.exists(keys.staged)).toBe(0);
  });
});

describe('abortTransaction, timeoutTransaction and dueTransactions', () => {
  it('aborts once, then reports the state', async () => {
    await begin(['t1', 't2']);
    await stage([['t1', field('a', 'k'), '{}']]);
    const abort = (id: string) =>
      redis.statehouseAbortTransaction(
        tx(id),
        keys.deadlines,
        keys.staged,
        SNAPSHOTS.aborted,
        SNAPSHOTS.timedOut,
        RETENTION,
      );
    expect(await abort('t1')).toEqual([ScriptCode.OK]);
    expect(await abort('t1')).toEqual([ScriptCode.NOOP, 'aborted']);
    expect((await redis.hgetall(tx('t1'))).state).toBe('aborted');
    expect(await redis.zrange(keys.deadlines, '0', '-1')).toEqual(['t2']);
    await commit([['t2', 'tok']]);
    expect(await abort('t2')).toEqual([ScriptCode.NOT_OPEN, 'committed']);
    expect(await abort('missing')).toEqual([ScriptCode.NOT_FOUND]);
  });

  it('times out only after the deadline, and lists only what is due', async () => {
    // A deadline well away, so that no stall before the first call makes it due already.
    const [now, deadline] = await begin(['t1'], 1000);
    const timeout = () =>
      redis.statehouseTimeoutTransaction(
        tx('t1'),
        keys.deadlines,
        keys.staged,
        SNAPSHOTS.timedOut,
        RETENTION,
      );
    const early = await timeout();
    expect(early[0]).toBe(ScriptCode.LATER);
    expect(Number(early[1])).toBeGreaterThan(0);
    expect((await redis.statehouseDueTransactions(keys.deadlines, deadline! + 1000, 10))[0]).toBe(
      ScriptCode.LATER,
    );
    expect(await redis.statehouseDueTransactions(keys.deadlines, now!, 10)).toEqual([
      ScriptCode.OK,
    ]);
    await sleep(1100);
    expect(await redis.statehouseDueTransactions(keys.deadlines, deadline!, 10)).toEqual([
      ScriptCode.OK,
      't1',
    ]);
    const late = await timeout();
    expect(late[0]).toBe(ScriptCode.OK);
    expect(Number(late[1])).toBeGreaterThanOrEqual(0);
    expect(await timeout()).toEqual([ScriptCode.NOOP, 'timedOut']);
    expect(await redis.zcard(keys.deadlines)).toBe(0);
  });
});
