--[[
  Creates a batch of open transactions of one namespace (group begin: one call for many
  concurrent beginTransaction() calls).

  KEYS[1]       deadline index   <prefix>:{<ns>}:deadlines (zset: transaction id -> deadline)
  KEYS[2]       finished records <prefix>:{<ns>}:finished  (buffered transactions, once finished)
  KEYS[2 + i]   transaction hash <prefix>:{<ns>}:tx:<id> of the i-th transaction

  ARGV[1]       persisted machine snapshot of the initial state (INITIAL_STATE, see transitions)
  ARGV[2]       retentionMs: how long a record outlives its deadline if nobody finishes it
  ARGV[3]       maxOpenTransactionsPerNamespace: most transactions open at once in the namespace
                (those in the deadline index, where every open one is until it is finished)
  ARGV[3 + i]   timeoutMs of the i-th transaction; prefixed with 'k' ("k5000"): keep the transaction
                if it exists already (an idempotent begin with a caller-chosen id); with 'r': keep
                it too, without marking it chosen (a pipelined begin, which the Redis client may
                send again after a reconnect, after the transaction's commit)

  Returns { nowMs, deadline_1, ..., deadline_n }   (all on the Redis clock; for a kept transaction
          its existing deadline); instead of a deadline, -11: not begun, the namespace's quota of
          open transactions is reached (QUOTA_OPEN_TRANSACTIONS); or, for a chosen id that a
          transaction sent whole (buffered) finished with, its final state: never begun again

  A transaction begun with a chosen id ('k') is marked 'chosen': finishTransaction keeps it until
  its deadline plus the retention even when it finishes earlier, so that a begin of the same id
  within its deadline finds it instead of creating it again (the gRPC server's wire transactions
  begin only within their deadline: a finished one is never begun again).

  A transaction hash holds its metadata (state, snapshot, deadline, createdAt, seq, bytes)
  and its staged operations, one field per record ("agentId NUL key", never a metadata name).
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "transitions"

local now = nowMs()
local retentionMs = tonumber(ARGV[2])
local maxOpen = tonumber(ARGV[3])
local open = redis.call('ZCARD', KEYS[1])
local out = { now }
local index = {}
for i = 3, #KEYS do
  local arg = ARGV[i + 1]
  local existing, sent = false, false
  local mark = string.sub(arg, 1, 1)
  local chosen = mark == 'k'
  if chosen or mark == 'r' then
    arg = string.sub(arg, 2)
    existing = redis.call('HGET', KEYS[i], 'deadline')
  end
  if chosen and not existing then
    sent = redis.call('HGET', KEYS[2], string.match(KEYS[i], ':([^:]+)$'))
  end
  if existing then
    out[i - 1] = tonumber(existing)
  elseif sent then
    out[i - 1] = string.match(sent, '^(%S+)')
  elseif open >= maxOpen then
    out[i - 1] = -11
  else
    open = open + 1
    local timeoutMs = tonumber(arg)
    local deadline = now + timeoutMs
    redis.call('HSET', KEYS[i], 'state', INITIAL_STATE, 'snapshot', ARGV[1], 'deadline', deadline,
      'createdAt', now, 'seq', 0, 'bytes', 0)
    if chosen then
      redis.call('HSET', KEYS[i], 'chosen', 1)
    end
    redis.call('PEXPIRE', KEYS[i], timeoutMs + retentionMs)
    index[#index + 1] = deadline
    index[#index + 1] = string.match(KEYS[i], ':([^:]+)$')
    out[i - 1] = deadline
  end
end
if #index > 0 then
  redis.call('ZADD', KEYS[1], unpack(index))
end
return out
