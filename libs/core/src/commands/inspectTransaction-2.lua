--[[
  Reads a transaction's state as of now (an open transaction past its deadline reads 'timedOut'
  even before the worker has fired). Writes nothing.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] finished records   <prefix>:{<ns>}:finished (buffered transactions, see commitBuffered)

  ARGV[1] the transaction's local id (its field in the finished records)

  Returns { 0, state, deadlineMs, createdAtMs, finishedAtMs or '', commitTs or '', nowMs,
            snapshot }        snapshot: the persisted machine snapshot as stored ('' for a buffered
                              transaction: its record keeps the state alone)
          { -1 }              no such transaction (NOT_FOUND)
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "transitions"

local tx = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'createdAt', 'finishedAt', 'commitTs', 'snapshot')
local now = nowMs()
if not tx[1] then
  local record = redis.call('HGET', KEYS[2], ARGV[1])
  if not record then
    return { -1 }
  end
  local state, commitTs, createdAt, finishedAt =
    string.match(record, '^(%S+) (%S+) %S+ (%S+) (%S+)')
  -- A buffered transaction's deadline was kept by its client: report when it finished.
  return { 0, state, finishedAt, createdAt, finishedAt, state == 'committed' and commitTs or '', now, '' }
end
local state = tx[1]
local timedOut = nextState(state, 'TIMEOUT')
if timedOut and now >= tonumber(tx[2]) then
  state = timedOut
end
return { 0, state, tx[2], tx[3], tx[4] or '', tx[5] or '', now, tx[6] or '' }
