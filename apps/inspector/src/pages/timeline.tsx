import { useEffect, useState } from 'preact/hooks';
import type { ApiError, ReplayEvent } from '../api';
import { Crumbs, ErrorBox, Notice, Value } from '../components';
import { followReplay } from '../replay';
import { href } from '../route';
import { AgentCrumbs } from './agent';

/** The newest commits kept on the page (older ones drop off the end). */
const KEEP = 500;

/** An agent's replay as a list of commits, newest first, following new commits live. */
export function TimelinePage({ namespace, agentId }: { namespace: string; agentId: string }) {
  const [events, setEvents] = useState<ReplayEvent[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    setEvents([]);
    setError(undefined);
    const stop = new AbortController();
    void followReplay({
      namespace,
      agentId,
      signal: stop.signal,
      onEvent: (event) => setEvents((seen) => [event, ...seen].slice(0, KEEP)),
      onLive: setLive,
      onError: setError,
    });
    return () => stop.abort();
  }, [namespace, agentId]);
  const horizon = events.find((event) => event.horizon !== undefined)?.horizon;
  return (
    <main>
      <Crumbs>
        <AgentCrumbs namespace={namespace} agentId={agentId} /> / timeline
      </Crumbs>
      <p class={live ? 'live on' : 'live'} id="live">
        {error ? 'Stopped' : live ? '● Live: new commits appear here' : 'Connecting…'}
      </p>
      {error && <ErrorBox error={error} />}
      {horizon !== undefined && (
        <Notice>
          History before commitTs {horizon} was removed by the retention policy: the timeline starts
          there.
        </Notice>
      )}
      {!error && live && events.length === 0 && (
        <Notice>No commits for agent “{agentId}” yet: waiting for the first.</Notice>
      )}
      <ol class="timeline" id="timeline">
        {events.map((event) => (
          <li key={event.commitTs} data-commit-ts={event.commitTs}>
            <header>
              <strong>commitTs {event.commitTs}</strong>{' '}
              {event.time !== undefined && (
                <time class="commit-time" dateTime={new Date(event.time).toISOString()}>
                  {new Date(event.time).toLocaleString()}
                </time>
              )}{' '}
              <a href={href({ page: 'transaction', txId: event.txId, agentId })}>{event.txId}</a>
            </header>
            <ul>
              {event.operations.map((operation) => (
                <li key={operation.key}>
                  <a href={href({ page: 'key', namespace, agentId, key: operation.key })}>
                    {operation.key}
                  </a>{' '}
                  {operation.value === null ? 'deleted' : 'written'} (version {operation.version})
                  {operation.value !== null && <Value value={operation.value} />}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </main>
  );
}
