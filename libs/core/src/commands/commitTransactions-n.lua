--[[
  Commits a batch of transactions of one namespace (group commit: one call for many concurrent
  commit() calls). Each transaction is committed atomically on its own: first every check (the
  machine's COMMIT, TIMEOUT and ABORT decide, see transitions), then
  its writes. It applies every staged write and tombstone, records versions, appends one event to
  the namespace's log and the agents' replay index, advances the commit counter and leaves the
  deadline index.

  KEYS[1] commit counter     <prefix>:{<ns>}:clock
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] records            <prefix>:{<ns>}:state
  KEYS[4] ordered index      <prefix>:{<ns>}:index
  KEYS[5] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[6] staged-bytes ledger <prefix>:{<ns>}:staged
  KEYS[6 + i]  transaction hash   <prefix>:{<ns>}:tx:<id> of the i-th transaction

  ARGV[1] persisted snapshot of 'committed'
  ARGV[2] persisted snapshot of 'timedOut' (applied when a deadline has passed)
  ARGV[3] persisted snapshot of 'aborted' (applied on a conflict)
  ARGV[4] retentionMs: how long a finished transaction stays readable
  ARGV[2 + 3i]  commit token of the i-th commit (a retry of the same commit() carries the same one)
  ARGV[3 + 3i]  public transaction id, recorded in the log
  ARGV[4 + 3i]  the highest sequence number Redis gave the committing object's stagings ('' when
                it does not know: a transaction resumed from its id); the transaction's 'seq'
                (how many stagings it holds) must be at least that

  Returns { code_1, detail_1, appended_1, ..., code_n, detail_n, appended_n }, per transaction:
          0, commitTs     committed now
          1, commitTs     this same commit (same token) had already committed: its commitTs
          (appended: the keys allocated to its appends, "<append id> TAB <key>" joined by LF)
          -1, 0           no such transaction (NOT_FOUND)
          -2, state       not open: 'committed' (by another commit), 'aborted' or 'timedOut'
          -3, 0           its deadline has passed; now timed out (TIMEOUT)
          -9, record      a record it read (or wrote with ifVersion) has changed since: nothing
                          applied, now aborted (CONFLICT); record = agentId NUL key
          -13, seq        Redis holds fewer stagings than the client was acknowledged: a failover
                          lost some before they reached a replica. Nothing applied, now aborted
                          (STAGED_LOST); seq = the stagings Redis holds

  Besides staged operations, a transaction hash holds conditions: field SOH agentId NUL key ->
  the version the record must still have ("<n>"; 0 = never written) or "!" (it must not exist);
  field ETX agentId -> the agent's membership count (see below) when it listed the agent's keys.
  Appends are staged as field EOT agentId NUL prefix NUL <append id>: at commit each gets the key
  prefix + the next value of the counter "agentId ETX prefix" in the records hash, zero-padded to
  12 digits so that keys sort in append order.
  A conflict on a membership condition names the record "agentId STX".

  The records hash also keeps, per agent, field agentId STX -> how many times one of its records
  came into existence or was deleted: a listing's phantom check. The ordered index also holds
  agentId ENQ key for every record that ever existed (listings as of a commitTs).
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "releaseStaged"
--- @include "finishTransaction"
--- @include "commitClock"
--- @include "callInChunks"
--- @include "checkConditions"
--- @include "applyOperations"
--- @include "flushWrites"
--- @include "markAgentsIndexed"
--- @include "transitions"

local clockKey, logKey, stateKey, indexKey, deadlinesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ledgerKey = KEYS[6]
local committedSnapshot, timedOutSnapshot, abortedSnapshot = ARGV[1], ARGV[2], ARGV[3]
local retentionMs = tonumber(ARGV[4])
local now = nowMs()
local nowText = string.format('%d', now)
local clock = commitClock(clockKey, logKey)
local firstClock = clock
local committedIds = {}
local pending = { state = {}, index = {}, records = {}, time = nowText }

local function commit(txKey, token, txId, expectedSeq)
  -- Checks. Nothing below writes until every check of this transaction has passed.
  local raw = redis.call('HGETALL', txKey)
  if #raw == 0 then
    return -1, 0
  end
  local meta, ops, staged, conditions = {}, {}, {}, {}
  for i = 1, #raw, 2 do
    local field = raw[i]
    local first = string.sub(field, 1, 1) -- every mark is one byte
    if first == CONDITION_MARK then
      staged[#staged + 1] = field
      conditions[#conditions + 1] = { record = string.sub(field, 2), expected = raw[i + 1] }
    elseif first == APPEND_MARK then
      local entry = raw[i + 1]
      local colon = string.find(entry, ':', 1, true)
      local agentEnd = string.find(field, SEPARATOR, 2, true)
      local prefixEnd = string.find(field, SEPARATOR, agentEnd + 1, true)
      staged[#staged + 1] = field
      ops[#ops + 1] = {
        seq = tonumber(string.sub(entry, 1, colon - 1)),
        kind = 'a',
        field = string.sub(field, 2),
        json = string.sub(entry, colon + 3),
      }
    elseif first == MEMBERSHIP_CONDITION_MARK then
      staged[#staged + 1] = field
      conditions[#conditions + 1] = { record = string.sub(field, 2) .. MEMBERSHIP_MARK, expected = raw[i + 1] }
    elseif string.find(field, SEPARATOR, 1, true) then
      local entry = raw[i + 1]
      local colon = string.find(entry, ':', 1, true)
      staged[#staged + 1] = field
      ops[#ops + 1] = {
        seq = tonumber(string.sub(entry, 1, colon - 1)),
        kind = string.sub(entry, colon + 1, colon + 1),
        field = field,
        json = string.sub(entry, colon + 3),
      }
    else
      meta[field] = raw[i + 1]
    end
  end
  -- Not a transition: this same commit's retry, answered with its outcome.
  if meta.state == 'committed' and meta.commitToken == token then
    return 1, tonumber(meta.commitTs), meta.appended or ''
  end
  local committed = nextState(meta.state, 'COMMIT')
  if not committed then
    return -2, meta.state
  end
  local timedOut = nextState(meta.state, 'TIMEOUT')
  if timedOut and now >= tonumber(meta.deadline) then
    finishTransaction(txKey, deadlinesKey, ledgerKey, staged, timedOut, timedOutSnapshot, now, retentionMs, {})
    return -3, 0
  end
  if expectedSeq ~= '' and tonumber(meta.seq) < tonumber(expectedSeq) then
    finishTransaction(txKey, deadlinesKey, ledgerKey, staged, nextState(meta.state, 'ABORT'), abortedSnapshot, now,
      retentionMs, {})
    return -13, tonumber(meta.seq)
  end
  local failed = checkConditions(stateKey, conditions, pending.records)
  if failed then
    finishTransaction(txKey, deadlinesKey, ledgerKey, staged, nextState(meta.state, 'ABORT'), abortedSnapshot, now,
      retentionMs, {})
    return -9, failed
  end
  table.sort(ops, function(a, b) return a.seq < b.seq end)
  local flat = {}
  for i, op in ipairs(ops) do
    flat[3 * i - 2], flat[3 * i - 1], flat[3 * i] = op.kind, op.field, op.json
  end

  -- Writes.
  local commitTs = clock + 1
  local ts = string.format('%d', commitTs)
  local appendedKeys = applyOperations(logKey, stateKey, indexKey, pending, flat, 1, #flat, ts, txId)
  clock = commitTs
  local extra = { 'commitTs', ts, 'commitToken', token }
  if appendedKeys ~= '' then
    extra[5], extra[6] = 'appended', appendedKeys
  end
  finishTransaction(txKey, false, false, staged, committed, committedSnapshot, nowText, retentionMs, extra,
    meta.chosen ~= nil)
  committedIds[#committedIds + 1] = string.match(txKey, ':([^:]+)$')
  return 0, commitTs, appendedKeys
end

local out = {}
-- A runtime error part-way (a refused log append) still leaves the commits before it complete:
-- their deferred writes and the counter are written, then the error is raised.
local ok, err = pcall(function()
  for i = 1, #KEYS - 6 do
    local code, detail, appendedKeys = commit(KEYS[6 + i], ARGV[2 + 3 * i], ARGV[3 + 3 * i], ARGV[4 + 3 * i])
    out[3 * i - 2] = code
    out[3 * i - 1] = detail
    out[3 * i] = appendedKeys or ''
  end
end)
if #committedIds > 0 then
  markAgentsIndexed(pending, firstClock)
end
flushWrites(stateKey, indexKey, pending)
if #committedIds > 0 then
  redis.call('SET', clockKey, string.format('%d', clock))
  redis.call('ZREM', deadlinesKey, unpack(committedIds))
  releaseStaged(ledgerKey, committedIds)
end
if not ok then
  error(err)
end
return out
