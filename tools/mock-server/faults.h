#pragma once
// Per-prompt fault injection: an --answers line may carry "fault": SPEC, and every
// request whose prompt matches that line misbehaves as SPEC says, the way real
// servers do (docs/mock-server.md, "Faults"). One answers file can so hold one
// fault per item, and a single profile run meets them all.
//
//   stall:K            K tokens, then nothing more (the connection stays open)
//   reset:K            K tokens, then the connection is closed mid-reply
//   invalid_utf8:K     K tokens, then a token carrying invalid UTF-8 bytes, then the rest
//   malformed:K        K tokens, then an event that is not JSON
//   error_event:K      K tokens, then an error object in the stream
//   status:CODE[:S]    the first request gets HTTP CODE (with `Retry-After: S` when
//                      given); later requests for the prompt are answered
//   html               HTTP 200 with an HTML page instead of a stream
//   slow_headers:MS    the reply's headers wait MS milliseconds
//   huge_token:BYTES   the first token is BYTES long
#include <cstddef>
#include <optional>
#include <string>

namespace ipw::mock {

struct Fault {
  enum class Kind { none, stall, reset, invalid_utf8, malformed, error_event, status, html, slow_headers, huge_token };
  Kind kind = Kind::none;
  int after_tokens = 0;                // stall, reset, invalid_utf8, malformed, error_event
  int status = 0;                      // status
  std::optional<int> retry_after_s;    // status
  double delay_ms = 0;                 // slow_headers
  std::size_t bytes = 0;               // huge_token
};

// Throws std::invalid_argument naming the problem for a bad SPEC.
Fault parse_fault(const std::string& spec);

// The bytes an invalid_utf8 fault sends in its token: a Latin-1 "é", then two bytes
// that never occur in UTF-8.
inline constexpr const char* kInvalidUtf8Token = " caf\xE9 \xFF\xFE";

}  // namespace ipw::mock
