import { isConnectionError } from './background-errors';
import { ErrorThrottle, stderrErrorHandler } from './error-throttle';

describe('the default onError (stderr, throttled)', () => {
  let now = 0;
  let lines: string[] = [];
  const handler = () => stderrErrorHandler((line) => lines.push(line), { now: () => now });

  beforeEach(() => {
    now = 1_000_000;
    lines = [];
  });

  it('writes one line "[statehouse] <source>: <message>"', () => {
    handler()(new Error('WRONGTYPE Operation against a key'), 'timeout-sweep');
    expect(lines).toEqual(['[statehouse] timeout-sweep: WRONGTYPE Operation against a key\n']);
  });

  it('writes at most one line per source every 30 s, then says how many it suppressed', () => {
    const report = handler();
    for (let attempt = 1; attempt <= 50; attempt++) {
      report(new Error(`connect ECONNREFUSED (attempt ${attempt})`), 'redis-connection');
      now += 500; // ioredis' reconnect delay at most
    }
    // 50 errors over 25 s: the first alone is written.
    expect(lines).toEqual(['[statehouse] redis-connection: connect ECONNREFUSED (attempt 1)\n']);
    now += 5_000; // 30 s after the first line
    report(new Error('connect ECONNREFUSED (attempt 51)'), 'redis-connection');
    expect(lines[1]).toBe(
      '[statehouse] redis-connection: connect ECONNREFUSED (attempt 51) ' +
        '(49 more suppressed since the previous line)\n',
    );
    expect(lines).toHaveLength(2);
  });

  it('throttles each source on its own', () => {
    const report = handler();
    report(new Error('a'), 'redis-connection');
    report(new Error('b'), 'timeout-sweep');
    report(new Error('c'), 'redis-connection');
    report(new Error('d'), 'follow-reader');
    expect(lines).toEqual([
      '[statehouse] redis-connection: a\n',
      '[statehouse] timeout-sweep: b\n',
      '[statehouse] follow-reader: d\n',
    ]);
  });

  it('writes the next error as soon as the interval has passed, even after a quiet spell', () => {
    const throttled: Array<[string, number]> = [];
    const throttle = new ErrorThrottle(
      (error, _source, suppressed) => throttled.push([error.message, suppressed]),
      { intervalMs: 1000, now: () => now },
    );
    throttle.report(new Error('first'), 'timeout-worker');
    now += 999;
    throttle.report(new Error('held back'), 'timeout-worker');
    now += 1;
    throttle.report(new Error('second'), 'timeout-worker');
    now += 60_000;
    throttle.report(new Error('third'), 'timeout-worker');
    expect(throttled).toEqual([
      ['first', 0],
      ['second', 1],
      ['third', 0],
    ]);
  });
});

describe('isConnectionError', () => {
  it('knows an unreachable Redis from a refused command', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('wrapped', { cause: refused }))).toBe(true);
    const reply = Object.assign(new Error('WRONGTYPE Operation against a key'), {
      name: 'ReplyError',
    });
    expect(isConnectionError(reply)).toBe(false);
    expect(isConnectionError('not an error')).toBe(false);
  });
});
