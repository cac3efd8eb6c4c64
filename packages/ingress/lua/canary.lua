-- Canary routing: should this request go to the primary backend's alternative (the canary)?
-- The order of checks is ingress-nginx's route_to_alternative_balancer (only the first
-- alternative is consulted, as upstream):
--   1. affinity to the primary keeps the primary; affinity to the canary keeps the canary
--   2. canary-by-header: with headerValue, an exact match routes to the canary; with
--      headerPattern, a regex match does; otherwise "always" → canary, "never" → primary
--   3. canary-by-cookie: "always" → canary, "never" → primary
--   4. canary-weight: random 1..weightTotal (at least 100) <= weight
-- A header or cookie with any other value falls through to the next rule.

local sticky = require("sticky")

local _M = {}

-- "always" → the canary, "never" → the primary, anything else: the next rule decides
local function always_or_never(value)
  if value == "always" then
    return true
  elseif value == "never" then
    return false
  end
  return nil
end

local function header_value(name)
  return ngx.var["http_" .. name:lower():gsub("-", "_")]
end

local function decide_by_header(shaping)
  if type(shaping.header) ~= "string" or #shaping.header == 0 then
    return nil
  end
  local value = header_value(shaping.header)
  if not value then
    return nil
  end
  if type(shaping.headerValue) == "string" and #shaping.headerValue > 0 then
    if value == shaping.headerValue then
      return true
    end
    return nil
  end
  if type(shaping.headerPattern) == "string" and #shaping.headerPattern > 0 then
    local m, err = ngx.re.match(value, shaping.headerPattern, "jo")
    if m then
      return true
    end
    if err then
      ngx.log(ngx.ERR, "canary-by-header-pattern ", shaping.headerPattern, " failed: ", err)
      return false
    end
    return nil
  end
  return always_or_never(value)
end

local function decide_by_cookie(shaping)
  if type(shaping.cookie) ~= "string" or #shaping.cookie == 0 then
    return nil
  end
  return always_or_never(ngx.var["cookie_" .. shaping.cookie])
end

local function decide_by_weight(shaping)
  local weight = tonumber(shaping.weight) or 0
  local total = tonumber(shaping.weightTotal) or 100
  if total < 100 then
    total = 100
  end
  return math.random(total) <= weight
end

-- primary, alternative: built backends (see backends.lua); true = route to the alternative
function _M.use_alternative(primary, alternative)
  if sticky.affinitized(primary) then
    return false
  end
  if sticky.affinitized(alternative) then
    return true
  end
  local shaping = alternative.shaping
  if type(shaping) ~= "table" then
    ngx.log(ngx.ERR, "canary backend ", alternative.name, " has no traffic shaping policy")
    return false
  end
  local by_header = decide_by_header(shaping)
  if by_header ~= nil then
    return by_header
  end
  local by_cookie = decide_by_cookie(shaping)
  if by_cookie ~= nil then
    return by_cookie
  end
  return decide_by_weight(shaping)
end

return _M
