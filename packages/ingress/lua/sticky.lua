-- Cookie affinity (nginx.ingress.kubernetes.io/affinity: cookie). The cookie holds the MD5 of the
-- endpoint ("address:port"), so it names an endpoint without revealing it. A request whose cookie
-- names a current endpoint goes there; otherwise it is round-robined and gets a new cookie.
--
-- ingress-nginx hashes a random key onto a consistent-hash ring instead; "balanced" then moves
-- some sessions when a deployment scales up, "persistent" does not. With endpoint-hash cookies
-- both modes keep a session on its endpoint while that endpoint exists and re-pick when it is
-- gone, so they behave alike here (what "persistent" promises, and "balanced" after scale-down).

local _M = {}

local function endpoint_key(ep)
  return ngx.md5(ep.address .. ":" .. tostring(ep.port))
end

local function by_key(backend)
  if not backend.by_key then
    local map = {}
    for _, ep in ipairs(backend.endpoints) do
      map[endpoint_key(ep)] = ep
    end
    backend.by_key = map
  end
  return backend.by_key
end

-- the endpoint this request's cookie points at, if the backend has affinity and it still exists
function _M.affinitized(backend)
  local affinity = backend.affinity
  if not affinity then
    return nil
  end
  local value = ngx.var["cookie_" .. affinity.name]
  if not value then
    return nil
  end
  return by_key(backend)[value]
end

-- printable ASCII without space or ";" (RFC 6265 path-value would allow more; we need no more)
local function safe_path(p)
  if type(p) == "string" and p:match("^[\33-\58\60-\126]+$") then
    return p
  end
  return nil
end

local function set_cookie(backend, ep)
  local affinity = backend.affinity
  local parts = { affinity.name .. "=" .. endpoint_key(ep) }
  local path = safe_path(affinity.path) or safe_path(ngx.var.location_path) or "/"
  parts[#parts + 1] = "Path=" .. path
  if type(affinity.expires) == "number" and affinity.expires > 0 then
    parts[#parts + 1] = "Expires=" .. ngx.cookie_time(ngx.time() + affinity.expires)
  end
  if type(affinity.maxAge) == "number" and affinity.maxAge > 0 then
    parts[#parts + 1] = "Max-Age=" .. string.format("%d", affinity.maxAge)
  end
  parts[#parts + 1] = "HttpOnly"
  if ngx.var.https == "on" then
    parts[#parts + 1] = "Secure"
  end
  local cookie = table.concat(parts, "; ")
  local existing = ngx.header["Set-Cookie"]
  if existing == nil then
    ngx.header["Set-Cookie"] = cookie
  elseif type(existing) == "table" then
    existing[#existing + 1] = cookie
    ngx.header["Set-Cookie"] = existing
  else
    ngx.header["Set-Cookie"] = { existing, cookie }
  end
end

-- the endpoint for this request: the cookie's if valid, else a round-robin pick plus a new cookie
function _M.pick(backend)
  local ep = _M.affinitized(backend)
  if ep then
    return ep
  end
  ep = backend.rr:pick()
  set_cookie(backend, ep)
  return ep
end

return _M
