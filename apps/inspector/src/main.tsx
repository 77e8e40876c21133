import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorized, savedToken, saveToken } from './api';
import { ErrorBox, Notice } from './components';
import { AgentPage } from './pages/agent';
import { AgentsPage } from './pages/agents';
import { KeyPage } from './pages/key';
import { NamespacesPage } from './pages/namespaces';
import { TimelinePage } from './pages/timeline';
import { TransactionPage } from './pages/transaction';
import { useRoute, type Route } from './route';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'namespaces':
      return <NamespacesPage />;
    case 'agents':
      return <AgentsPage key={route.namespace} namespace={route.namespace} />;
    case 'agent':
      return <AgentPage key={`${route.namespace}\n${route.agentId}`} {...route} />;
    case 'key':
      return <KeyPage {...route} />;
    case 'timeline':
      return <TimelinePage {...route} />;
    case 'transaction':
      return <TransactionPage {...route} />;
    case 'notFound':
      return (
        <main>
          <Notice>{route.reason}</Notice>
          <a href="#/">Back to the namespaces</a>
        </main>
      );
  }
}

/**
 * Asks for a token when the server refused a request without one (or refused the one given),
 * and checks a new one before keeping it.
 */
function Login({ refused }: { refused: boolean }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  return (
    <main>
      <form
        class="login"
        onSubmit={(event) => {
          event.preventDefault();
          saveToken(token);
          api.namespaces().then(
            () => location.reload(),
            (failure: unknown) => {
              saveToken(null);
              setError(failure);
            },
          );
        }}
      >
        <h2>This server needs a token</h2>
        {refused && !error && <p class="error">The token was refused: enter another.</p>}
        {error !== undefined && <ErrorBox error={error} />}
        <label>
          Token{' '}
          <input
            type="password"
            name="token"
            autoComplete="off"
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Sign in</button>
        <p class="hint">Kept for this tab only (sessionStorage), sent as a bearer header.</p>
      </form>
    </main>
  );
}

function App() {
  const route = useRoute();
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          Statehouse inspector
        </a>
        {savedToken() !== null && !needsToken && (
          <button
            type="button"
            class="signout"
            onClick={() => {
              saveToken(null);
              location.reload();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      {needsToken ? <Login refused={savedToken() !== null} /> : <Page route={route} />}
    </>
  );
}

render(<App />, document.getElementById('app')!);
