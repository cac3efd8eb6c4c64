-- Plain round robin over a backend's endpoints, per worker. Each worker starts at a random
-- position so that N workers do not all send their first request to the same endpoint.

local _M = {}
_M.__index = _M

function _M.new(endpoints)
  local self = setmetatable({ endpoints = endpoints, last = math.random(#endpoints) - 1 }, _M)
  return self
end

function _M.pick(self)
  self.last = self.last % #self.endpoints + 1
  return self.endpoints[self.last]
end

-- the next endpoint that is not `avoid` (for a retry); the same one if it is the only one
function _M.pick_other(self, avoid)
  for _ = 1, #self.endpoints do
    local ep = self:pick()
    if ep ~= avoid then
      return ep
    end
  end
  return avoid
end

return _M
