// etcd as a peer, through the `etcd3` npm client (etcd's gRPC API over one HTTP/2 connection,
// @grpc/grpc-js like our own network client): the 3 writes as one Txn of 3 puts; the increment as
// a Range read, then a Txn that puts only if the key's mod_revision is still the one read (etcd's
// compare-and-swap), run again when it is not.
import { Etcd3 } from 'etcd3';
import { processCpuMs } from '../stats';
import {
  HOT_KEYS,
  Tally,
  VALUE_TEXTS,
  randomAgent,
  randomHotKey,
  retryConflicts,
  sumProblem,
  type OpenedPaths,
} from './path';
import type { LocalEtcd } from './local-etcd';

const VALUE_BUFFERS = VALUE_TEXTS.map((text) => Buffer.from(text));

export async function openEtcdPaths(etcd: LocalEtcd): Promise<OpenedPaths> {
  const client = new Etcd3({ hosts: etcd.clientUrl });
  const close = () => {
    client.close();
    return Promise.resolve();
  };
  try {
    const hot = (i: number) => Buffer.from(`hot/${i}`);
    for (let i = 0; i < HOT_KEYS; i++)
      await client.kv.put({ key: hot(i), value: Buffer.from('0') });
    const tally = new Tally();
    const serverCpuMs = () => processCpuMs(etcd.pid);
    return {
      close,
      paths: [
        {
          id: 'etcd',
          label: 'etcd Txn (3 puts)',
          workload: 'write',
          system: 'etcd',
          ours: false,
          serverCpuMs,
          op: async () => {
            const agent = randomAgent();
            await client.kv.txn({
              success: VALUE_BUFFERS.map((value, k) => ({
                request_put: { key: Buffer.from(`records/${agent}/k${k + 1}`), value },
              })),
            });
          },
        },
        {
          id: 'rmw-etcd',
          label: 'etcd Txn (compare mod_revision)',
          workload: 'rmw',
          system: 'etcd',
          ours: false,
          serverCpuMs,
          tally,
          op: () => {
            const key = hot(randomHotKey());
            return retryConflicts(tally, async () => {
              const read = await client.kv.range({ key });
              const kv = read.kvs[0]!;
              const response = await client.kv.txn({
                compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }],
                success: [
                  {
                    request_put: {
                      key,
                      value: Buffer.from(String(Number(kv.value.toString()) + 1)),
                    },
                  },
                ],
              });
              return response.succeeded;
            });
          },
          check: async () => {
            let sum = 0;
            for (let i = 0; i < HOT_KEYS; i++)
              sum += Number((await client.kv.range({ key: hot(i) })).kvs[0]!.value.toString());
            return sumProblem('etcd Txn', sum, tally);
          },
        },
      ],
    };
  } catch (error) {
    await close();
    throw error;
  }
}
