// The generated Lua transition table, run in Redis: for every (state, event) pair it decides what
// the machine decides in TypeScript.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  TRANSACTION_EVENTS,
  TRANSACTION_STATES,
  nextState,
  transactionMachine,
} from '../src/model/transaction.machine';
import { redisUrl } from './support/statehouse';

const include = readFileSync(join(__dirname, '../src/commands/includes/transitions.lua'), 'utf8');
let redis: Redis;

beforeAll(() => {
  redis = new Redis(redisUrl());
});

afterAll(async () => {
  await redis.quit();
});

const lua = (body: string, ...args: string[]): Promise<unknown> =>
  redis.eval(`${include}\n${body}`, 0, ...args);

describe('nextState in Lua', () => {
  const pairs = TRANSACTION_STATES.flatMap((state) =>
    TRANSACTION_EVENTS.map((event) => [state, event, nextState(state, event) ?? null] as const),
  );

  it.each(pairs)('in %s on %s gives %s, as the machine', async (state, event, expected) => {
    expect(await lua('return nextState(ARGV[1], ARGV[2])', state, event)).toBe(expected);
  });

  it('refuses every event of a missing or unknown state', async () => {
    expect(await lua("return nextState(nil, 'ABORT')")).toBeNull();
    expect(await lua("return nextState('pending', 'ABORT')")).toBeNull();
  });

  it('starts where the machine starts', async () => {
    expect(await lua('return INITIAL_STATE')).toBe(transactionMachine.config.initial);
  });
});
