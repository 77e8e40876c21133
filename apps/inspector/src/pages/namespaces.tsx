import { useState } from 'preact/hooks';
import { api } from '../api';
import { Crumbs, Notice, Show, Table, useLoad } from '../components';
import { href } from '../route';

/** The namespaces this token may read, with their agent counts. */
export function NamespacesPage() {
  const loaded = useLoad(() => api.namespaces(), []);
  const [name, setName] = useState('');
  return (
    <main>
      <Crumbs>Namespaces</Crumbs>
      <Show loaded={loaded}>
        {({ namespaces }) =>
          namespaces.length === 0 ? (
            <Notice>No namespace yet: nothing has been committed that this token may read.</Notice>
          ) : (
            <Table
              id="namespaces"
              columns={['Namespace', 'Agents', 'Last commitTs']}
              rows={namespaces}
              rowKey={(ns) => ns.namespace}
              cells={(ns) => [
                <a href={href({ page: 'agents', namespace: ns.namespace })}>{ns.namespace}</a>,
                ns.agentCount,
                ns.lastCommitTs,
              ]}
            />
          )
        }
      </Show>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          if (name !== '') location.hash = href({ page: 'agents', namespace: name });
        }}
      >
        <label>
          Open a namespace by name{' '}
          <input value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        <button type="submit">Open</button>
      </form>
    </main>
  );
}
