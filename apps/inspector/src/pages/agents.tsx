import { useState } from 'preact/hooks';
import { api } from '../api';
import { Crumbs, Notice, Show, Table, useLoad, usePages } from '../components';
import { href } from '../route';

const PAGE_SIZE = 50;

/** A namespace's agents: a prefix search, a page at a time (cursors kept to go back). */
export function AgentsPage({ namespace }: { namespace: string }) {
  const [prefix, setPrefix] = useState('');
  const [typed, setTyped] = useState('');
  // The cursors of the pages seen: the last one is the current page's ('' for the first).
  const { cursor, reset, Pager } = usePages();
  const known = useLoad(() => api.namespaces(), [namespace]);
  const loaded = useLoad(
    () =>
      api.agents({
        namespace,
        limit: PAGE_SIZE,
        ...(prefix ? { prefix } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    [namespace, prefix, cursor],
  );
  const unknown =
    known.state === 'done' && !known.data.namespaces.some((ns) => ns.namespace === namespace);
  return (
    <main>
      <Crumbs>
        <a href={href({ page: 'namespaces' })}>Namespaces</a> /{' '}
        <span class="name">{namespace}</span>
      </Crumbs>
      {unknown && (
        <Notice>
          Unknown namespace “{namespace}”: nothing was ever committed to it (or this token may not
          read it).
        </Notice>
      )}
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          setPrefix(typed);
          reset();
        }}
      >
        <label>
          Agent id starts with{' '}
          <input
            name="prefix"
            value={typed}
            onInput={(event) => setTyped(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      <Show loaded={loaded}>
        {({ agents, cursor: next }) => (
          <>
            {agents.length === 0 ? (
              <Notice>{prefix ? `No agent id starts with “${prefix}”.` : 'No agents.'}</Notice>
            ) : (
              <Table
                id="agents"
                columns={['Agent', 'Live keys', 'Last commitTs']}
                rows={agents}
                rowKey={(agent) => agent.agentId}
                cells={(agent) => [
                  <a href={href({ page: 'agent', namespace, agentId: agent.agentId })}>
                    {agent.agentId}
                  </a>,
                  agent.keyCount,
                  agent.lastCommitTs,
                ]}
              />
            )}
            <Pager next={next} />
          </>
        )}
      </Show>
    </main>
  );
}
