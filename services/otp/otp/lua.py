"""otp's Redis scripts: each operation that must be exact under concurrency.

Admitting a send against every quota and recording it, verifying and consuming a
code, taking a captcha, claiming a delivery job and keeping the dev outbox are each
one Lua script, run atomically by Redis (:class:`otp.store.RedisStore` registers
them). Every record carries the ``run_id`` of the Redis process that stored it
(``epoch()``): see the store's docstring for why.
"""

LUA_COMMON = """
local function epoch()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
end
-- Constant-time comparison of two hex strings. The values compared are keyed
-- HMACs an attacker cannot compute, so timing would tell nothing anyway.
local function same(a, b)
  if type(a) ~= 'string' or type(b) ~= 'string' or #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return diff == 0
end
"""

PUT_CAPTCHA = (
    LUA_COMMON
    + """
-- KEYS: captcha, dev answer; ARGV: mac, now, ttl, dev answer or ''
local exp = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('SET', KEYS[1], epoch() .. ':' .. exp .. ':' .. ARGV[1], 'PX', ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end
return 1
"""
)

TAKE_CAPTCHA = (
    LUA_COMMON
    + """
-- KEYS: captcha, dev answer; ARGV: now
local value = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
if not value then return false end
local run, exp, mac = string.match(value, '^(%x+):(%d+):(%x+)$')
if run ~= epoch() or tonumber(exp) <= tonumber(ARGV[1]) then return false end
return mac
"""
)

ADMIT_CODE = (
    LUA_COMMON
    + """
-- KEYS: 1 cooldown, 2 phone log, 3 client log, 4 global counter, 5 code, 6 job,
--       7 due jobs, 8 wake list
-- ARGV: 1 now, 2 cooldown ms, 3 phone/hour, 4 phone/day, 5 client/hour,
--       6 global/day, 7 ms until the global counter resets, 8 message id,
--       9 code mac, 10 code ttl ms, 11 job as JSON
local now = tonumber(ARGV[1])
local HOUR, DAY = 3600000, 86400000
local wait = 0
local function later(ms) if ms > wait then wait = ms end end

-- A sliding window (now - span, now]: when it already holds `limit` sends, the
-- next is allowed once enough of them leave the window.
local function window(key, span, limit)
  local entries = redis.call('ZRANGEBYSCORE', key, '(' .. (now - span), '+inf', 'WITHSCORES')
  local count = #entries / 2
  if count >= limit then
    local oldest_to_leave = tonumber(entries[(count - limit) * 2 + 2])
    later(oldest_to_leave + span - now)
  end
end

local cooling = tonumber(redis.call('GET', KEYS[1]) or '0')
if cooling > now then later(cooling - now) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - DAY)
window(KEYS[2], HOUR, tonumber(ARGV[3]))
window(KEYS[2], DAY, tonumber(ARGV[4]))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - HOUR)
window(KEYS[3], HOUR, tonumber(ARGV[5]))
local reset = tonumber(ARGV[7])
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[6]) then later(reset) end
if wait > 0 then return {0, wait} end

local cooldown = tonumber(ARGV[2])
if cooldown > 0 then
  redis.call('SET', KEYS[1], now + cooldown, 'PX', cooldown + 1000)
end
local id = ARGV[8]
redis.call('ZADD', KEYS[2], now, id)
redis.call('PEXPIRE', KEYS[2], DAY + 60000)
redis.call('ZADD', KEYS[3], now, id)
redis.call('PEXPIRE', KEYS[3], HOUR + 60000)
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], reset + HOUR)

local ttl = tonumber(ARGV[10])
redis.call('DEL', KEYS[5])
redis.call('HSET', KEYS[5], 'mac', ARGV[9], 'tries', 0, 'exp', now + ttl, 'epoch', epoch())
redis.call('PEXPIRE', KEYS[5], ttl + 1000)

local job = cjson.decode(ARGV[11])
for field, value in pairs(job) do redis.call('HSET', KEYS[6], field, tostring(value)) end
redis.call('PEXPIRE', KEYS[6], tonumber(job.expires_ms) - now + DAY)
redis.call('ZADD', KEYS[7], now, id)
redis.call('LPUSH', KEYS[8], id)
redis.call('LTRIM', KEYS[8], 0, 99)
return {1, 0}
"""
)

VERIFY_CODE = (
    LUA_COMMON
    + """
-- KEYS: code; ARGV: mac, max tries, now
local rec = redis.call('HMGET', KEYS[1], 'mac', 'tries', 'exp', 'epoch')
if not rec[1] then return {'dead', 0} end
if tonumber(rec[3]) <= tonumber(ARGV[3]) or rec[4] ~= epoch() then
  redis.call('DEL', KEYS[1])
  return {'dead', 0}
end
-- Count the try first, then compare: a try is spent whatever it turns out to be.
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
local max = tonumber(ARGV[2])
if tries > max then
  redis.call('DEL', KEYS[1])
  return {'dead', 0}
end
if same(rec[1], ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {'accepted', 0}
end
if tries >= max then redis.call('DEL', KEYS[1]) end
return {'wrong', max - tries}
"""
)

ENQUEUE_NOTICE = """
-- KEYS: 1 dedupe (or a dummy), 2 job, 3 due, 4 wake; ARGV: 1 use dedupe (0/1),
--       2 dedupe ttl, 3 message id, 4 job as JSON, 5 now
if ARGV[1] == '1' then
  local first = redis.call('GET', KEYS[1])
  if first then return first end
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
end
local now = tonumber(ARGV[5])
local job = cjson.decode(ARGV[4])
for field, value in pairs(job) do redis.call('HSET', KEYS[2], field, tostring(value)) end
redis.call('PEXPIRE', KEYS[2], tonumber(job.expires_ms) - now + 86400000)
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('LPUSH', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[4], 0, 99)
return ARGV[3]
"""

CLAIM_JOB = """
-- KEYS: due, job; ARGV: message id, now, lease ms
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return false end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('HINCRBY', KEYS[2], 'attempts', 1)
return redis.call('HGETALL', KEYS[2])
"""

OUTBOX_ADD = """
-- KEYS: seen marker, list; ARGV: record JSON, keep, ttl ms
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""
