-- A namespace's first commit marks its agent list complete (the field AGENT_MARK of the records
-- hash: 'indexed'): from then on every agent gets its entry from the commit that touches it
-- (applyOperations), so listAgents never needs the one-time backfill that namespaces written
-- before the agent list existed get (backfillAgents-3.lua). Deferred into `pending` like the
-- records (flushWrites writes it); `firstClock` is the counter before the batch.
local function markAgentsIndexed(pending, firstClock)
  if firstClock == 0 then
    local state = pending.state
    state[#state + 1] = AGENT_MARK
    state[#state + 1] = 'indexed'
  end
end
