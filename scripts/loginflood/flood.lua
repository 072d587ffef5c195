-- wrk script for scripts/bench-login-flood.sh: every connection POSTs the
-- seed's login with a wrong password, as fast as it is answered, and the
-- run ends with the count of each status (401 wrong password, 429 throttled,
-- 503 hashing busy).
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	s401, s429, s503, other = 0, 0, 0, 0
end

request = function()
	return wrk.format("POST", "/api/auth/", { ["Content-Type"] = "application/json" },
		'{"username": "test_user", "password": "wrong-password"}')
end

function response(status, headers, body)
	if status == 401 then
		s401 = s401 + 1
	elseif status == 429 then
		s429 = s429 + 1
	elseif status == 503 then
		s503 = s503 + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local a, b, c, d = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("s401")
		b = b + t:get("s429")
		c = c + t:get("s503")
		d = d + t:get("other")
	end
	io.write(string.format("flood statuses: 401=%d 429=%d 503=%d other=%d\n", a, b, c, d))
end
