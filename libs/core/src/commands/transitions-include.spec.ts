import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMachine } from 'xstate';
import { nextState, transactionMachine } from '../model/transaction.machine';
import { scriptDefinitions } from './scripts';
import {
  TRANSITIONS_INCLUDE_FILE,
  transitionTable,
  transitionsInclude,
} from './transitions-include';

const committed = (): string => readFileSync(join(__dirname, TRANSITIONS_INCLUDE_FILE), 'utf8');

/** A copy of the transaction machine's definition with one transition changed by `edit`. */
function editedMachine(edit: (states: Record<string, { on?: Record<string, unknown> }>) => void) {
  const config = JSON.parse(JSON.stringify(transactionMachine.config)) as {
    states: Record<string, { on?: Record<string, unknown> }>;
  };
  edit(config.states);
  return createMachine(config as Parameters<typeof createMachine>[0]);
}

describe('the Lua transition table (includes/transitions.lua)', () => {
  it('is what the machine generates (run `npm run generate:transitions` after changing it)', () => {
    expect(committed()).toBe(transitionsInclude(transactionMachine));
  });

  it('differs when one transition of the machine is flipped (the check above bites)', () => {
    const abortAfterCommit = editedMachine((states) => {
      states.committed!.on = { ABORT: { target: 'aborted' } };
    });
    expect(transitionsInclude(abortAfterCommit)).not.toBe(committed());
    const noAbortAfterTimeout = editedMachine((states) => {
      delete states.timedOut!.on;
    });
    expect(transitionsInclude(noAbortAfterTimeout)).not.toBe(committed());
  });

  it('holds every (state, event) pair of the machine, as nextState decides it', () => {
    const table = transitionTable(transactionMachine);
    expect(table).toHaveLength(24);
    for (const { state, event, next } of table) {
      expect(next).toBe(nextState(state as never, event as never));
      const line = committed()
        .split('\n')
        .find((l) => l.startsWith(`  ${state} = `))!;
      if (next === undefined) expect(line).not.toContain(`${event} =`);
      else expect(line).toContain(`${event} = '${next}'`);
    }
  });

  it.each(
    scriptDefinitions()
      .filter(({ lua }) =>
        /redis\.call\('HSET', [^)]*'state'|finishTransaction\(|finished\(/.test(lua),
      )
      .map(({ command, lua }) => [command, lua]),
  )('%s, which changes a transaction state, decides with nextState', (_command, lua) => {
    expect(lua).toContain('local function nextState(state, event)');
    expect(lua).toMatch(/nextState\((tx\[1\]|meta\.state|state|INITIAL_STATE)/);
  });
});
