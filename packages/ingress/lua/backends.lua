-- The backends JSON (built by src/render/backends-json.ts) and this worker's view of it.
--
-- Shape: [ { name, endpoints = [ { address, port } ], alternativeBackends = [ name ],
--            sessionAffinity? = { name, path?, expires?, maxAge?, mode },
--            trafficShaping? = { weight, weightTotal, header?, headerValue?, headerPattern?, cookie? },
--            noServer } ]
--
-- Freshness: ingress-nginx polls the shared dict from a 1 s timer per worker. Here every request
-- first reads one integer (the version) from the shared dict and rebuilds this worker's tables
-- only when it changed, so a push is visible to the very next request on every worker.

local cjson = require("cjson.safe")
local round_robin = require("round_robin")

local _M = {}

local synced_version = nil
-- name → { name, rr, endpoints, affinity, alternatives, shaping }, only backends with endpoints
local balancers = {}

local function is_ipv4(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then
    return false
  end
  for _, part in ipairs({ a, b, c, d }) do
    if tonumber(part) > 255 then
      return false
    end
  end
  return true
end

local function is_ipv6(s)
  return s:find(":", 1, true) ~= nil and s:match("^[%x:%.]+$") ~= nil
end

local function valid_endpoint(ep)
  return type(ep) == "table"
    and type(ep.address) == "string" and (is_ipv4(ep.address) or is_ipv6(ep.address))
    and type(ep.port) == "number" and ep.port >= 1 and ep.port <= 65535 and ep.port % 1 == 0
end

local function check_backend(b, i)
  if type(b) ~= "table" then
    return "backend #" .. i .. " is not an object"
  end
  if type(b.name) ~= "string" or #b.name == 0 then
    return "backend #" .. i .. " has no name"
  end
  if type(b.endpoints) ~= "table" then
    return "backend " .. b.name .. " has no endpoints array"
  end
  for j, ep in ipairs(b.endpoints) do
    if not valid_endpoint(ep) then
      return "backend " .. b.name .. " endpoint #" .. j .. " is not {address: IP, port: 1..65535}"
    end
  end
  if b.sessionAffinity ~= nil and b.sessionAffinity ~= cjson.null then
    local a = b.sessionAffinity
    if type(a) ~= "table" or type(a.name) ~= "string" or not a.name:match("^[%w!#$%%&'*+%-.^_`|~]+$") then
      return "backend " .. b.name .. " has an invalid cookie name"
    end
  end
  return nil
end

-- decode and validate; returns (array, nil) or (nil, error)
function _M.decode(text)
  local data, err = cjson.decode(text)
  if not data then
    return nil, "not JSON: " .. tostring(err)
  end
  if type(data) ~= "table" then
    return nil, "not a JSON array"
  end
  for k in pairs(data) do
    if type(k) ~= "number" then
      return nil, "not a JSON array"
    end
  end
  for i, b in ipairs(data) do
    local problem = check_backend(b, i)
    if problem then
      return nil, problem
    end
  end
  return data, nil
end

local function opt(v)
  if v == cjson.null then
    return nil
  end
  return v
end

local function build(b)
  local endpoints = {}
  for _, ep in ipairs(b.endpoints) do
    endpoints[#endpoints + 1] = { address = ep.address, port = ep.port }
  end
  if #endpoints == 0 then
    return nil -- no endpoints: requests to it get 503, as ingress-nginx
  end
  local alternatives = {}
  if type(b.alternativeBackends) == "table" then
    for _, n in ipairs(b.alternativeBackends) do
      if type(n) == "string" then
        alternatives[#alternatives + 1] = n
      end
    end
  end
  return {
    name = b.name,
    endpoints = endpoints,
    rr = round_robin.new(endpoints),
    affinity = opt(b.sessionAffinity),
    shaping = opt(b.trafficShaping),
    alternatives = alternatives,
  }
end

-- rebuild this worker's balancers when the pushed version changed; one shared-dict read otherwise
function _M.sync()
  local dict = ngx.shared.configuration_data
  local version = dict:get("version")
  if version == synced_version then
    return
  end
  -- read the version before the data: if a push lands in between, the next request rebuilds again
  local text = dict:get("backends")
  if not text then
    balancers = {}
    synced_version = version
    return
  end
  local data, err = _M.decode(text)
  if not data then
    ngx.log(ngx.ERR, "stored backends are invalid, keeping the previous ones: ", err)
    synced_version = version
    return
  end
  local fresh = {}
  for _, b in ipairs(data) do
    fresh[b.name] = build(b)
  end
  balancers = fresh
  synced_version = version
end

function _M.get(name)
  return balancers[name]
end

function _M.synced_version()
  return synced_version
end

return _M
