// Every page of a listing, as one stream (a listing is paginated; memory stays one page).
import type { StateEntry, StatehouseApi } from '@statehouse/contract';

const PAGE = 500;

async function* paged<T>(
  fetch: (cursor: string | null) => Promise<{ items: T[]; cursor: string | null }>,
): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const page: { items: T[]; cursor: string | null } = await fetch(cursor);
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== null);
}

export function scanAll(
  client: StatehouseApi,
  input: { namespace: string; agentId: string; prefix: string },
): AsyncGenerator<StateEntry> {
  return paged(async (cursor) => {
    const page = await client.scanPrefix({ ...input, limit: PAGE, cursor });
    return { items: page.entries, cursor: page.cursor };
  });
}

export function listAllKeys(
  client: StatehouseApi,
  input: { namespace: string; agentId: string },
): AsyncGenerator<string> {
  return paged(async (cursor) => {
    const page = await client.listKeys({ ...input, limit: PAGE, cursor });
    return { items: page.keys, cursor: page.cursor };
  });
}
