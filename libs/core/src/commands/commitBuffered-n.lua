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
  KEYS[6 + i]                for a transaction whose id its sender chose: the staged transaction
                             hash of that id (<prefix>:{<ns>}:tx:<local id>), which must not
                             exist; otherwise any key (unread)

  ARGV[1] retentionMs: how long a finished transaction stays known
  then, per transaction:
          public transaction id (<ns>~<local id>), token, createdAt (ms, client clock),
          number of operations n, number of conditions m, chosen (1: the id is the sender's),
          n operations of 3 arguments: kind ('w' write, 'd' delete, 'a' append),
                                       field (agentId NUL key; for an append
                                              agentId NUL prefix NUL append id),
                                       value JSON ('' for a delete),
          m conditions of 2 arguments: record (agentId NUL key, or agentId STX for a listing's
                                       membership count), expected (see checkConditions)

  Returns { code_1, detail_1, appended_1, ... } per transaction, as commitTransactions:
          0, commitTs / 1, commitTs (already committed with this token)
          -2, state    the transaction already finished otherwise (aborted on a conflict), or a
                       staged transaction of that id did
          -6           ID_TAKEN: a staged transaction of that id is open; nothing applied
          -9, record   CONFLICT: nothing applied, recorded as aborted
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "commitClock"
--- @include "callInChunks"
--- @include "checkConditions"
--- @include "applyOperations"
--- @include "flushWrites"
--- @include "markAgentsIndexed"
--- @include "transitions"

local clockKey, logKey, stateKey, indexKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local finishedKey, finishedAtKey = KEYS[5], KEYS[6]
local retentionMs = tonumber(ARGV[1])
local now = nowMs()
local nowText = string.format('%d', now)
local clock = commitClock(clockKey, logKey)
local firstClock = clock
local committed = false
local pending = { state = {}, index = {}, records = {}, time = nowText }
local records, expiries, finishedNow = {}, {}, {}

-- Where each transaction starts in ARGV, its local id, and the records the batch writes (appends
-- apart: their keys are allocated at commit), read in one HMGET instead of one per transaction.
local starts, localIds, fields = {}, {}, {}
local a = 2
while a <= #ARGV do
  starts[#starts + 1] = a
  localIds[#localIds + 1] = string.match(ARGV[a], '~([^~]+)$') -- a namespace may hold '~' too
  local first, n = a + 6, tonumber(ARGV[a + 3])
  for j = first, first + 3 * n - 1, 3 do
    if ARGV[j] ~= 'a' then
      fields[#fields + 1] = ARGV[j + 1]
    end
  end
  a = first + 3 * n + 2 * tonumber(ARGV[a + 4])
end
if #fields > 0 then
  local current = callInChunks('HMGET', stateKey, fields, 1)
  for i, field in ipairs(fields) do
    pending.records[field] = current[i] or false
  end
end
-- Already finished: a retry after a lost reply, or the same call resent by the Redis client
-- after a reconnect (ioredis does that), so this check is never skipped. One HMGET for the
-- batch; a transaction that appears twice in it finds the record its first appearance left.
local stored = #localIds > 0 and callInChunks('HMGET', finishedKey, localIds, 1) or {}

-- commitTs: a string (see applyOperations).
local function finished(localId, state, commitTs, token, createdAt, appended)
  local record = state .. ' ' .. commitTs .. ' ' .. token .. ' ' .. createdAt .. ' ' .. nowText .. ' ' .. appended
  records[#records + 1] = localId
  records[#records + 1] = record
  expiries[#expiries + 1] = nowText
  expiries[#expiries + 1] = localId
  finishedNow[localId] = record
end

-- i: the transaction's place in the batch. Returns code, detail, appended keys.
local function commit(i)
  local a = starts[i]
  local txId, token, createdAt = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local n, m = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local first = a + 6
  local localId = localIds[i]
  local record = finishedNow[localId] or stored[i]
  if not record and ARGV[a + 5] == '1' then
    -- An id its sender chose: one a staged transaction has is never committed again here.
    local staged = redis.call('HGET', KEYS[6 + i], 'state')
    if staged == 'open' then
      return -6, staged, ''
    elseif staged then
      return -2, staged, ''
    end
  end
  if record then
    local state, commitTs, recordedToken, appended =
      string.match(record, '^(%S+) (%S+) (%S+) %S+ %S+ (.*)$')
    -- Not a transition: this same commit's retry, answered with its outcome.
    if state == 'committed' and recordedToken == token then
      return 1, tonumber(commitTs), appended
    end
    if not nextState(state, 'COMMIT') then
      return -2, state, ''
    end
  end
  if m > 0 then
    local conditions = {}
    for j = first + 3 * n, first + 3 * n + 2 * m - 1, 2 do
      conditions[#conditions + 1] = { record = ARGV[j], expected = ARGV[j + 1] }
    end
    local failed = checkConditions(stateKey, conditions, pending.records)
    if failed then
      finished(localId, nextState(INITIAL_STATE, 'ABORT'), '0', token, createdAt, '')
      return -9, failed, ''
    end
  end

  local commitTs = clock + 1
  local ts = string.format('%d', commitTs)
  local appendedKeys = applyOperations(logKey, stateKey, indexKey, pending, ARGV, first, first + 3 * n - 1, ts,
    txId)
  clock = commitTs
  committed = true
  finished(localId, nextState(INITIAL_STATE, 'COMMIT'), ts, token, createdAt, appendedKeys)
  return 0, commitTs, appendedKeys
end

local out = {}
-- A runtime error part-way (a refused log append) still leaves the commits before it complete:
-- their deferred writes, the counter and their finished records are written, then the error
-- is raised.
local ok, err = pcall(function()
  for i = 1, #starts do
    out[3 * i - 2], out[3 * i - 1], out[3 * i] = commit(i)
  end
end)
if committed then
  markAgentsIndexed(pending, firstClock)
end
flushWrites(stateKey, indexKey, pending)
if committed then
  redis.call('SET', clockKey, string.format('%d', clock))
end
if #records > 0 then
  -- Forget records past their retention, a bounded number per call (more than this call adds).
  local expired = redis.call('ZRANGEBYSCORE', finishedAtKey, '-inf', now - retentionMs,
    'LIMIT', 0, #records + 16)
  if #expired > 0 then
    redis.call('HDEL', finishedKey, unpack(expired))
    redis.call('ZREM', finishedAtKey, unpack(expired))
  end
  callInChunks('HSET', finishedKey, records, 2)
  callInChunks('ZADD', finishedAtKey, expiries, 2)
end
if not ok then
  error(err)
end
return out
