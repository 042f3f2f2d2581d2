#pragma once
// Command-line options of ipw-mock-server. The flag names are an interface:
// tests and `ipw` itself start the server with them (docs/mock-server.md).
#include <optional>
#include <string>

namespace ipw::mock {

struct MockOptions {
  std::string host = "127.0.0.1";
  int port = 0;              // 0: the kernel picks a free port (printed on stdout)
  std::string answers_path;  // JSONL with {"prompt", "answer"}; empty: always the fixed sentence
  std::string model = "ipw-mock";
  double ttft_ms = 50;           // request receipt -> first token
  double tokens_per_s = 50;      // pacing between tokens; 0: as fast as possible
  double burn_us_per_token = 0;  // CPU busy-loop per token, so estimated energy reflects real work
  int fail_every = 0;            // every Nth completion request fails; 0: never
  int fail_status = 500;
  std::optional<int> drop_after_tokens;  // close the connection after K tokens, before the reply ends
  int threads = 1024;                    // connections served at once
  bool nagle = false;                    // leave Nagle's algorithm on (default: TCP_NODELAY)
  double batch_slowdown = 0;             // per-token time × (1 + F·(streams in flight − 1))
  std::string token_log;                 // JSONL: each streamed reply's prompt and token send instants
  std::string request_log;               // JSONL: each completion request's body as received
  // How an answers line's "reasoning" is streamed: "deltas" (OpenAI reasoning_content,
  // Ollama thinking), "think-tags" (<think>…</think> in the content) or "open-think"
  // (the content starts inside the thinking and only closes the tag, as when a chat
  // template opens it in the prompt).
  std::string reasoning_format = "deltas";
  bool reasoning_count = true;  // usage.completion_tokens_details.reasoning_tokens (deltas only)
  bool usage = true;            // false: never report usage (OpenAI usage, Ollama eval counts)
  bool verbose = false;                  // one line per request on stderr
  // Replies that are a function of the request alone: ids from the prompt, `created` 0,
  // timings at their nominal values (byte-for-byte comparisons through a proxy).
  bool deterministic = false;
};

// Parses argv; on --help or a bad flag prints to stdout/stderr and returns the
// exit code to use instead of options.
struct ParseResult {
  std::optional<MockOptions> options;
  int exit_code = 0;
};
ParseResult parse_options(int argc, char** argv);

}  // namespace ipw::mock
