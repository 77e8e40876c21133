import { api } from '../api';
import { Crumbs, Notice, Show, Table, useLoad, usePages, Value } from '../components';
import { href } from '../route';

const PAGE_SIZE = 100;

export function AgentCrumbs({ namespace, agentId }: { namespace: string; agentId: string }) {
  return (
    <>
      <a href={href({ page: 'namespaces' })}>Namespaces</a> /{' '}
      <a href={href({ page: 'agents', namespace })}>{namespace}</a> /{' '}
      <a href={href({ page: 'agent', namespace, agentId })}>{agentId}</a>
    </>
  );
}

/** An agent's live keys with their values and version counts, a page at a time. */
export function AgentPage({ namespace, agentId }: { namespace: string; agentId: string }) {
  const { cursor, Pager } = usePages();
  const loaded = useLoad(async () => {
    const page = await api.scan({
      namespace,
      agentId,
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    // No live key: say whether the agent ever existed (the listing keeps agents whose keys were
    // all deleted).
    const known =
      page.entries.length === 0 && !cursor
        ? (await api.agents({ namespace, prefix: agentId, limit: 1 })).agents.some(
            (agent) => agent.agentId === agentId,
          )
        : true;
    return { ...page, known };
  }, [namespace, agentId, cursor]);
  return (
    <main>
      <Crumbs>
        <AgentCrumbs namespace={namespace} agentId={agentId} />
      </Crumbs>
      <p class="actions">
        <a class="button" href={href({ page: 'timeline', namespace, agentId })}>
          Timeline (live)
        </a>
      </p>
      <Show loaded={loaded}>
        {({ entries, cursor: next, known }) =>
          entries.length === 0 ? (
            <Notice>
              {known
                ? `Agent “${agentId}” has no live keys: every key it had was deleted.`
                : `Unknown agent “${agentId}” in namespace “${namespace}”: nothing was ever committed for it.`}
            </Notice>
          ) : (
            <>
              <Table
                id="keys"
                columns={['Key', 'Versions', 'Last commitTs', 'Value']}
                rows={entries}
                rowKey={(entry) => entry.key}
                cells={(entry) => [
                  <a href={href({ page: 'key', namespace, agentId, key: entry.key })}>
                    {entry.key}
                  </a>,
                  entry.version,
                  entry.commitTs,
                  <Value value={entry.value} />,
                ]}
              />
              <Pager next={next} />
            </>
          )
        }
      </Show>
    </main>
  );
}
