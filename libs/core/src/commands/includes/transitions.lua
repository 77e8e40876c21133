-- GENERATED from transactionMachine (model/transaction.machine.ts) by
-- `npm run generate:transitions` (commands/transitions-include.ts). Do not edit:
-- transitions-include.spec.ts fails when this file and the machine disagree.
-- nextState(state, event): the state after `event` in `state`, or false where the machine
-- refuses the event (a missing or unknown state too).
local INITIAL_STATE = 'open'
local TRANSITIONS = {
  open = { ABORT = 'aborted', COMMIT = 'committed', DELETE = 'open', READ = 'open', TIMEOUT = 'timedOut', WRITE = 'open' },
  committed = {},
  aborted = { ABORT = 'aborted' },
  timedOut = { ABORT = 'timedOut' },
}
local function nextState(state, event)
  local row = state and TRANSITIONS[state]
  return row and row[event] or false
end
