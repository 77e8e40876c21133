-- Writes what a batch's commits deferred (see applyOperations): one HSET of the records hash and
-- one ZADD of the ordered index for the whole batch, instead of one of each per transaction
-- (measured: a redis.call costs about as much as the fields it writes; see docs/design.md, "What a
-- commit costs Redis"). HSET and ZADD apply their pairs in order, so a record written by two
-- transactions of the batch keeps the later one's value. `pending` is emptied.
local function flushWrites(stateKey, indexKey, pending)
  if #pending.state > 0 then
    callInChunks('HSET', stateKey, pending.state, 2)
    pending.state = {}
  end
  if #pending.index > 0 then
    callInChunks('ZADD', indexKey, pending.index, 2)
    pending.index = {}
  end
end
