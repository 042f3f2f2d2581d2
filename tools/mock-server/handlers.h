#pragma once
// The mock server's routes: OpenAI (/v1/…), Ollama (/api/…), /health, with the
// pacing and fault injection the options ask for.
#include <atomic>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "answer_book.h"
#include "options.h"

namespace httplib {
class Server;
}

namespace ipw::mock {

struct ServerState {
  MockOptions options;
  AnswerBook book;
  std::atomic<std::uint64_t> completion_requests{0};  // drives --fail-every
  std::atomic<std::uint64_t> next_id{0};
  std::atomic<bool> stopping{false};  // set on SIGTERM: replies in flight end early
  std::atomic<int> in_flight{0};      // completion replies being produced (--batch-slowdown)
  std::mutex token_log_mu;            // --token-log: one line per reply, written whole
  std::ofstream request_log;          // --request-log: each completion request's body, one line each
  std::mutex request_log_mu;
  std::ofstream token_log;
  std::mutex fault_mu;                           // guards fault_requests
  std::map<std::string, int> fault_requests;     // status faults: requests seen per answers prompt
};

// --token-log: one reply's prompt and send instants as a JSON line (no-op without the flag).
void log_tokens(ServerState& st, const std::string& prompt, const std::vector<std::int64_t>& sent_ns);

void install_handlers(httplib::Server& server, ServerState& state);

}  // namespace ipw::mock
