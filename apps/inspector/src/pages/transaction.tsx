import { api, type ReplayEvent } from '../api';
import { Crumbs, Show, Table, time, useLoad, Value } from '../components';
import { replayRange } from '../replay';
import { href } from '../route';

/**
 * A transaction as its record says (describeTransaction): state, deadline, times. Its operations
 * come from the replay of the agent it was opened from (a transaction may touch several agents;
 * the timeline links here with its agent).
 */
export function TransactionPage({ txId, agentId }: { txId: string; agentId?: string }) {
  const loaded = useLoad(async () => {
    const tx = await api.transaction(txId);
    let commit: ReplayEvent | undefined;
    if (agentId !== undefined && tx.commitTs !== null) {
      const range = { namespace: tx.namespace, agentId, startTs: tx.commitTs, endTs: tx.commitTs };
      commit = (await replayRange(range))[0];
    }
    return { tx, commit };
  }, [txId, agentId]);
  return (
    <main>
      <Crumbs>
        <a href={href({ page: 'namespaces' })}>Namespaces</a> / transaction{' '}
        <span class="name">{txId}</span>
      </Crumbs>
      <Show loaded={loaded}>
        {({ tx, commit }) => (
          <>
            <dl class="facts" id="transaction">
              <dt>Namespace</dt>
              <dd>
                <a href={href({ page: 'agents', namespace: tx.namespace })}>{tx.namespace}</a>
              </dd>
              <dt>State</dt>
              <dd class={`state ${tx.state}`}>{tx.state}</dd>
              <dt>Deadline</dt>
              <dd>{time(tx.deadline)}</dd>
              <dt>Created</dt>
              <dd>{time(tx.createdAt)}</dd>
              <dt>Finished</dt>
              <dd>{time(tx.finishedAt)}</dd>
              <dt>CommitTs</dt>
              <dd>{tx.commitTs ?? '—'}</dd>
            </dl>
            {commit && agentId !== undefined && (
              <section>
                <h2>Operations on agent {agentId}</h2>
                <Table
                  id="operations"
                  columns={['Key', 'Version', 'Value']}
                  rows={commit.operations}
                  rowKey={(operation) => operation.key}
                  cells={(operation) => [
                    <a
                      href={href({
                        page: 'key',
                        namespace: tx.namespace,
                        agentId,
                        key: operation.key,
                      })}
                    >
                      {operation.key}
                    </a>,
                    operation.version,
                    <Value value={operation.value} />,
                  ]}
                />
              </section>
            )}
          </>
        )}
      </Show>
    </main>
  );
}
