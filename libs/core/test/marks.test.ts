// The marks as Redis' Lua sees them: the generated include, run by Redis, holds the very bytes of
// storage/marks.ts under the same names (the scripts use nothing else to write a mark).
import { Redis } from 'ioredis';
import { marksInclude } from '../src/commands/scripts';
import { MARKS } from '../src/storage/marks';
import { redisUrl } from './support/statehouse';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(redisUrl());
});

afterAll(async () => {
  await redis.quit();
});

it('gives each script the bytes of storage/marks.ts, by the same names', async () => {
  const names = Object.keys(MARKS);
  const lua = `${marksInclude()}\nreturn { ${names.join(', ')} }`;
  const bytes = (await redis.callBuffer('EVAL', lua, 0)) as Buffer[];
  expect(Object.fromEntries(names.map((name, i) => [name, [...bytes[i]!]]))).toEqual(
    Object.fromEntries(
      Object.entries(MARKS).map(([name, mark]) => [name, [...Buffer.from(mark, 'utf8')]]),
    ),
  );
});
