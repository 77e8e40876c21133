// Every page of a listing, as one stream (a listing is paginated; memory stays one page).
import type { StateEntry, StatehouseApi } from '@statehouse/contract';

const PAGE = 500;

export async function* scanAll(
  client: StatehouseApi,
  input: { namespace: string; agentId: string; prefix: string },
): AsyncGenerator<StateEntry> {
  let cursor: string | null = null;
  do {
    const page = await client.scanPrefix({ ...input, limit: PAGE, cursor });
    yield* page.entries;
    cursor = page.cursor;
  } while (cursor !== null);
}

export async function* listAllKeys(
  client: StatehouseApi,
  input: { namespace: string; agentId: string },
): AsyncGenerator<string> {
  let cursor: string | null = null;
  do {
    const page = await client.listKeys({ ...input, limit: PAGE, cursor });
    yield* page.keys;
    cursor = page.cursor;
  } while (cursor !== null);
}
