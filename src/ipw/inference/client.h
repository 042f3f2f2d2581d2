#pragma once
// The inference Client interface: send one request to a server, stream the answer,
// and stamp send / first token / every token / last byte on the monotonic clock.
// HTTP details live in the implementations; callers see only this header.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/common/chat_turn.h"
#include "ipw/common/clock.h"
#include "ipw/common/expected.h"

namespace ipw::inference {

// Named default timeouts (seconds); every one is a CLI flag.
inline constexpr double kDefaultConnectTimeoutS = 10.0;
inline constexpr double kDefaultFirstTokenTimeoutS = 120.0;
inline constexpr double kDefaultTotalTimeoutS = 600.0;

struct ClientOptions {
  std::string base_url;  // e.g. http://127.0.0.1:8080 (a trailing /v1 is tolerated for openai)
  std::string api_key;   // sent as a bearer token; never logged or stored
  double connect_timeout_s = kDefaultConnectTimeoutS;
  double first_token_timeout_s = kDefaultFirstTokenTimeoutS;
  double total_timeout_s = kDefaultTotalTimeoutS;
};

struct Request {
  std::string model;
  std::string prompt;       // the user message (chat) or the raw prompt (completion)
  // Earlier turns of the conversation, sent before the prompt (chat: as messages;
  // completion: as "role: content" lines ahead of the text).
  std::vector<ChatTurn> context;
  bool chat = true;         // chat endpoint (/v1/chat/completions, /api/chat) vs completion
  int max_tokens = 0;       // <= 0: none sent (the server's own limit)
  double temperature = 0.6;  // the IPW paper's decoding defaults
  double top_p = 0.95;
  int top_k = 20;            // <= 0: not sent (the OpenAI cloud API rejects top_k)
  std::optional<double> min_p;
  std::optional<std::int64_t> seed;
  // Request settings for thinking models and chat templates (docs/clients.md, "What is
  // sent"); each is sent only when set.
  std::string system_prompt;
  nlohmann::json chat_template_kwargs;  // an object, e.g. {"enable_thinking": true}; null: none
  std::string reasoning_effort;         // low | medium | high
  std::vector<std::string> stop;
  // Merged into the body last. A key ipw sets itself is a usage error unless
  // extra_body_override, so a typo cannot silently change what was measured.
  nlohmann::json extra_body;
  bool extra_body_override = false;
};

struct Response {
  std::string text;                 // the concatenated streamed content (the answer)
  std::string reasoning;            // streamed reasoning/thinking deltas, kept apart from text
  std::int64_t t_send_ns = 0;       // just before the request is handed to the transport
  // First non-empty content or reasoning delta (0: none arrived). Reasoning counts
  // because it is generated output: it ends prefill.
  std::int64_t t_first_token_ns = 0;
  std::int64_t t_last_byte_ns = 0;  // the last byte of the response body
  // One stamp per non-empty content or reasoning delta (arrival time of its bytes).
  std::vector<std::int64_t> token_times_ns;
  std::optional<int> input_tokens;   // from the server's usage fields only
  std::optional<int> output_tokens;
  // usage.completion_tokens_details.reasoning_tokens, where the server gives it.
  std::optional<int> reasoning_tokens;
  // Of the streamed pieces (token_times_ns), how many carried reasoning and how many
  // the answer; and the arrival of the first answer piece (0: none arrived). Thinking
  // that a server streams inside the content (`<think>…</think>`) is reasoning here.
  int reasoning_pieces = 0, answer_pieces = 0;
  std::int64_t t_first_answer_ns = 0;
  std::string finish_reason;        // as the server said it ("stop", "length", …); "" when it did not
  nlohmann::json server_timings;     // engine-reported timings (llama.cpp `timings`, Ollama durations)
};

enum class FailureKind {
  connect,              // could not connect / resolve
  timeout_connect,
  timeout_first_token,
  timeout_total,
  http_status,          // non-2xx
  protocol,             // malformed stream, server-side error event
  cancelled,            // interrupted by the user (Ctrl-C)
};
const char* to_string(FailureKind k);
// Inverse of to_string (for reading stored failures back); nullopt for unknown names.
std::optional<FailureKind> failure_kind_from_string(std::string_view name);
// Timeouts are counted apart from errors in summaries.
bool is_timeout(FailureKind k);

struct Failure {
  FailureKind kind = FailureKind::protocol;
  std::string message;       // says what happened and to which URL
  int http_status = 0;
  Response partial;          // whatever had arrived (timestamps, text) before the failure
  // When the failure was detected (a timeout fired, the connection broke, the stream
  // turned bad): the server worked on the request until then, so a failed query's
  // window ends here, not at the last byte that arrived (0: unknown).
  std::int64_t t_failed_ns = 0;
  // The server's Retry-After on a 429/503 reply, in seconds (seconds or HTTP-date form).
  std::optional<double> retry_after_s;
  // The connection closed (or was reset) before a byte of reply, not even a status
  // line: libcurl's "Empty reply from server". A server closing a kept-alive connection
  // just as the next request goes out does this (docs/reliability.md, "Retries").
  bool no_reply = false;
};

using Result = Expected<Response, Failure>;

// Called for each non-empty content or reasoning delta as it arrives (for live
// progress); may be empty. Runs on the thread that called complete().
using TokenCallback = std::function<void(std::string_view text, std::int64_t t_ns)>;

// Called once when a request started with Client::start ends, with its result.
using DoneCallback = std::function<void(Result)>;

class Client {
 public:
  virtual ~Client() = default;
  // Blocking: sends req and returns when its answer has ended. Thread-safe.
  virtual Result complete(const Request& req, const TokenCallback& on_token = {}) = 0;
  // Asynchronous, for driving many requests from one thread: start() sends req and
  // returns at once; poll() drives every started request for up to wait_ns and runs
  // `done` (on the polling thread) for each that ended, returning early after one
  // did. poll() returns how many are still in flight. Both on one thread.
  virtual void start(const Request& req, DoneCallback done) = 0;
  virtual std::size_t poll(std::int64_t wait_ns) = 0;
  // Thread-safe. Aborts every running complete() promptly with FailureKind::cancelled.
  // Sticky: later complete() calls return cancelled at once without sending anything,
  // so a Ctrl-C that lands between two queries cannot be lost. Make a new client to
  // send again.
  virtual void cancel() = 0;
};

// Registry: "openai" (any OpenAI-compatible server, SSE) or "ollama" (native NDJSON).
// Throws ipw::UsageError for an unknown api name.
std::unique_ptr<Client> make_client(const std::string& api, const ClientOptions& opts,
                                    const Clock& clock = steady_clock());
std::vector<std::string> client_names();
// base_url without trailing slashes. Throws ipw::UsageError, naming the URL without
// its credentials, unless it is an http:// or https:// URL (any case): the one check of a
// server URL, made by the clients and by `ipw profile` before a run directory exists.
std::string normalise_base_url(std::string base_url);
// The JSON body `api`'s client sends for req (for checking settings before a run, and
// for tests). Throws ipw::UsageError for an unknown api, an --extra-body key ipw sets
// itself (unless extra_body_override), or a setting the API cannot express.
nlohmann::json request_body(const std::string& api, const Request& req);

struct ClientInfo {
  std::string name;
  std::string description;  // one line, for `ipw list` / --help
};
std::vector<ClientInfo> client_infos();

}  // namespace ipw::inference
