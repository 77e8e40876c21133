import { useState } from 'preact/hooks';
import { api, ApiError, type StateResult } from '../api';
import { Crumbs, ErrorBox, Notice, Show, useLoad, Value } from '../components';
import { diffLines } from '../diff';
import { AgentCrumbs } from './agent';

/** The newest versions the history shows (each is one read). */
const HISTORY = 50;

type Version = { version: number } & ({ read: StateResult } | { error: unknown });

interface Props {
  namespace: string;
  agentId: string;
  key: string;
}

/** A key: its versions, a diff between any two, and its value as of a chosen commitTs. */
export function KeyPage({ namespace, agentId, key }: Props) {
  const record = { namespace, agentId, key };
  const loaded = useLoad(async () => {
    const latest = await api.state(record);
    const numbers = Array.from(
      { length: Math.min(latest.version, HISTORY) },
      (_, i) => latest.version - i,
    );
    const versions = await Promise.all(
      numbers.map((version) =>
        api.state({ ...record, version }).then(
          (read): Version => ({ version, read }),
          (error: unknown): Version => ({ version, error }),
        ),
      ),
    );
    return { latest, versions };
  }, [namespace, agentId, key]);
  return (
    <main>
      <Crumbs>
        <AgentCrumbs namespace={namespace} agentId={agentId} /> / <span class="name">{key}</span>
      </Crumbs>
      <Show loaded={loaded}>
        {({ latest, versions }) =>
          latest.version === 0 ? (
            <Notice>
              Unknown key “{key}” of agent “{agentId}” in namespace “{namespace}”: it was never
              written.
            </Notice>
          ) : (
            <>
              <section>
                <h2>
                  Latest: version {latest.version} at commitTs {latest.commitTs}
                  {!latest.exists && ' (deleted)'}
                </h2>
                <Value value={latest.value} />
              </section>
              <Diff versions={versions} />
              <AsOf {...record} />
              <History versions={versions} total={latest.version} />
            </>
          )
        }
      </Show>
    </main>
  );
}

function History({ versions, total }: { versions: Version[]; total: number }) {
  return (
    <section>
      <h2>Versions</h2>
      {total > versions.length && (
        <Notice>
          The newest {versions.length} of {total} versions.
        </Notice>
      )}
      <table class="list" id="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>CommitTs</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((entry) => (
            <tr key={entry.version}>
              <td>{entry.version}</td>
              {'read' in entry ? (
                <>
                  <td>{entry.read.commitTs}</td>
                  <td>
                    <Value value={entry.read.value} />
                  </td>
                </>
              ) : (
                <td colSpan={2}>
                  <ErrorBox error={entry.error} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function text(entry: Version | undefined): string {
  if (!entry || !('read' in entry)) return '';
  return entry.read.value === null ? '(deleted)' : JSON.stringify(entry.read.value, null, 2);
}

function Diff({ versions }: { versions: Version[] }) {
  const [from, setFrom] = useState(versions[1]?.version ?? versions[0]!.version);
  const [to, setTo] = useState(versions[0]!.version);
  const pick = (value: number, set: (version: number) => void, name: string) => (
    <select name={name} value={value} onChange={(event) => set(Number(event.currentTarget.value))}>
      {versions.map((entry) => (
        <option key={entry.version} value={entry.version}>
          version {entry.version}
        </option>
      ))}
    </select>
  );
  const lines = diffLines(
    text(versions.find((entry) => entry.version === from)),
    text(versions.find((entry) => entry.version === to)),
  );
  return (
    <section>
      <h2>
        Diff {pick(from, setFrom, 'from')} → {pick(to, setTo, 'to')}
      </h2>
      <pre class="diff" id="diff">
        {lines.map((line, i) => (
          <div key={i} class={line.kind}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </section>
  );
}

function AsOf(record: Props) {
  const [atTs, setAtTs] = useState('');
  const [result, setResult] = useState<{ atTs: number; read: StateResult } | { error: unknown }>();
  return (
    <section>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          const ts = Number(atTs);
          if (!Number.isSafeInteger(ts) || ts < 0) {
            setResult({
              error: new ApiError(400, 'VALIDATION', 'A commitTs is a whole number ≥ 0'),
            });
            return;
          }
          api.state({ ...record, atTs: ts }).then(
            (read) => setResult({ atTs: ts, read }),
            (error: unknown) => setResult({ error }),
          );
        }}
      >
        <label>
          Value as of commitTs{' '}
          <input
            name="atTs"
            inputMode="numeric"
            value={atTs}
            onInput={(event) => setAtTs(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Read</button>
      </form>
      {result &&
        ('error' in result ? (
          <ErrorBox error={result.error} />
        ) : (
          <div id="as-of">
            <p>
              {result.read.exists
                ? `As of commitTs ${result.atTs}: version ${result.read.version} (written at commitTs ${result.read.commitTs})`
                : result.read.version === 0
                  ? `As of commitTs ${result.atTs}: not written yet`
                  : `As of commitTs ${result.atTs}: deleted (version ${result.read.version})`}
            </p>
            {result.read.exists && <Value value={result.read.value} />}
          </div>
        ))}
    </section>
  );
}
