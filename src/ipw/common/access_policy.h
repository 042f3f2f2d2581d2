#pragma once
// Who may talk to ipw's servers (`ipw monitor`, `ipw proxy`). The monitor reads sensors that often need
// privileges, so by default it listens on loopback only; listening anywhere
// else needs a bearer token (checked on every RPC and on /metrics) or an
// explicit --insecure. Pure functions, so every rule has a unit test.
#include <string>

namespace ipw {

// 127.0.0.0/8, ::1 (also as [::1] or ::ffff:127.x.y.z) and "localhost".
// "0.0.0.0", "::" and every other address are not loopback.
bool is_loopback_address(const std::string& host);

// "" when listening on `bind` is allowed, else the message for the user, which says
// what an open listener `exposes` ("read this host's sensors").
std::string check_bind_policy(const std::string& bind, const std::string& token, bool insecure,
                              const std::string& exposes);

// Does an Authorization header value carry exactly this token ("Bearer <token>",
// scheme case-insensitive)? Compared in constant time so a client cannot find
// the token byte by byte from response times. An empty token matches nothing.
bool bearer_matches(const std::string& authorization, const std::string& token);

}  // namespace ipw
