--[[
  Commits a batch of buffered transactions of one namespace: transactions whose operations and
  conditions were kept by the client and arrive here, with the commit, in one call. Nothing of
  them existed in Redis before. Each is committed atomically on its own, exactly as
  commitTransactions does: first every check, then its writes. A buffered transaction is in the
  machine's initial state until this call; its outcome is the machine's COMMIT or ABORT of it (see
  transitions).

  A finished buffered transaction leaves a compact record in the namespace's finished hash (not a
  key of its own: measured, a key per transaction cost a quarter of the script's time), so that a
  retried commit (same token) gets its commitTs and never applies twice, and describe/resume find
  its outcome. Records older than retentionMs are removed by later batches.

  KEYS[1] commit counter     <prefix>:{<ns>}:clock
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] records            <prefix>:{<ns>}:state
  KEYS[4] ordered index      <prefix>:{<ns>}:index
  KEYS[5] finished records   <prefix>:{<ns>}:finished     (local id -> record)
  KEYS[6] their expiry       <prefix>:{<ns>}:finishedAt   (local id -> finishedAt)

  ARGV[1] retentionMs: how long a finished transaction stays known
  then, per transaction:
          public transaction id (<ns>~<local id>), token, createdAt (ms, client clock),
          number of operations n, number of conditions m,
          n operations of 3 arguments: kind ('w' write, 'd' delete, 'a' append),
                                       field (agentId NUL key; for an append
                                              agentId NUL prefix NUL append id),
                                       value JSON ('' for a delete),
          m conditions of 2 arguments: record (agentId NUL key, or agentId STX for a listing's
                                       membership count), expected (see checkConditions)

  Returns { code_1, detail_1, appended_1, ... } per transaction, as commitTransactions:
          0, commitTs / 1, commitTs (already committed with this token)
          -2, state    the transaction already finished otherwise (aborted on a conflict)
          -9, record   CONFLICT: nothing applied, recorded as aborted
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "commitClock"
--- @include "checkConditions"
--- @include "applyOperations"
--- @include "transitions"

local clockKey, logKey, stateKey, indexKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local finishedKey, finishedAtKey = KEYS[5], KEYS[6]
local retentionMs = tonumber(ARGV[1])
local now = nowMs()
local clock = commitClock(clockKey, logKey)
local committed = false
local records, expiries = {}, {}

local function finished(localId, state, commitTs, token, createdAt, appended)
  records[#records + 1] = localId
  records[#records + 1] = state .. ' ' .. commitTs .. ' ' .. token .. ' ' .. createdAt .. ' ' ..
    now .. ' ' .. appended
  expiries[#expiries + 1] = now
  expiries[#expiries + 1] = localId
end

-- a: index in ARGV of the transaction's id. Returns code, detail, appended keys, next index.
local function commit(a)
  local txId, token, createdAt = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local n, m = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local first = a + 5
  local next = first + 3 * n + 2 * m
  local localId = string.match(txId, '~([^~]+)$') -- a namespace may hold '~' too
  -- Already finished: a retry after a lost reply, or the same call resent by the Redis client
  -- after a reconnect (ioredis does that), so this check is never skipped.
  local record = redis.call('HGET', finishedKey, localId)
  if record then
    local state, commitTs, recordedToken, appended =
      string.match(record, '^(%S+) (%S+) (%S+) %S+ %S+ (.*)$')
    -- Not a transition: this same commit's retry, answered with its outcome.
    if state == 'committed' and recordedToken == token then
      return 1, tonumber(commitTs), appended, next
    end
    if not nextState(state, 'COMMIT') then
      return -2, state, '', next
    end
  end
  local conditions = {}
  for j = first + 3 * n, next - 1, 2 do
    conditions[#conditions + 1] = { record = ARGV[j], expected = ARGV[j + 1] }
  end
  local failed = checkConditions(stateKey, conditions)
  if failed then
    finished(localId, nextState(INITIAL_STATE, 'ABORT'), 0, token, createdAt, '')
    return -9, failed, '', next
  end
  local ops = {}
  for j = first, first + 3 * n - 1, 3 do
    local kind, field = ARGV[j], ARGV[j + 1]
    if kind == 'a' then
      local agentEnd = string.find(field, SEPARATOR, 1, true)
      local prefixEnd = string.find(field, SEPARATOR, agentEnd + 1, true)
      ops[#ops + 1] = {
        append = string.sub(field, prefixEnd + 1),
        agent = string.sub(field, 1, agentEnd - 1),
        prefix = string.sub(field, agentEnd + 1, prefixEnd - 1),
        write = true,
        json = ARGV[j + 2],
      }
    else
      ops[#ops + 1] = { field = field, write = kind == 'w', json = ARGV[j + 2] }
    end
  end

  local commitTs = clock + 1
  local appendedKeys = applyOperations(logKey, stateKey, indexKey, ops, commitTs, txId)
  clock = commitTs
  committed = true
  finished(localId, nextState(INITIAL_STATE, 'COMMIT'), commitTs, token, createdAt, appendedKeys)
  return 0, commitTs, appendedKeys, next
end

local out = {}
local a = 2
local i = 1
while a <= #ARGV do
  local code, detail, appendedKeys
  code, detail, appendedKeys, a = commit(a)
  out[3 * i - 2] = code
  out[3 * i - 1] = detail
  out[3 * i] = appendedKeys
  i = i + 1
end
if committed then
  redis.call('SET', clockKey, clock)
end
if #records > 0 then
  -- Forget records past their retention, a bounded number per call (more than this call adds).
  local expired = redis.call('ZRANGEBYSCORE', finishedAtKey, '-inf', now - retentionMs,
    'LIMIT', 0, #records + 16)
  if #expired > 0 then
    redis.call('HDEL', finishedKey, unpack(expired))
    redis.call('ZREM', finishedAtKey, unpack(expired))
  end
  redis.call('HSET', finishedKey, unpack(records))
  redis.call('ZADD', finishedAtKey, unpack(expiries))
end
return out
