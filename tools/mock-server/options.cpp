#include "options.h"

#include <CLI/CLI.hpp>

namespace ipw::mock {

ParseResult parse_options(int argc, char** argv) {
  MockOptions o;
  CLI::App app{
      "ipw-mock-server: a scripted OpenAI- and Ollama-compatible LLM server for tests and fault injection.\n"
      "Answers each completion with the `answer` of the first --answers line whose `prompt` occurs in the\n"
      "request's last user message (or prompt), streamed one whitespace-separated piece per chunk.",
      "ipw-mock-server"};
  app.footer(
      "Examples:\n"
      "  ipw-mock-server --port 0 --answers data/builtin/science.jsonl\n"
      "  ipw-mock-server --port 8080 --ttft-ms 200 --tokens-per-s 20 --burn-us-per-token 2000\n"
      "  ipw-mock-server --port 0 --fail-every 3 --fail-status 503 --drop-after-tokens 5\n"
      "  ipw-mock-server --port 0 --tokens-per-s 50 --batch-slowdown 0.1   # a server that batches");
  app.add_option("--host", o.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "TCP port; 0 picks a free one (printed as `listening on http://HOST:PORT`)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--answers", o.answers_path, "JSONL of {\"prompt\": …, \"answer\": …} (extra fields ignored)")
      ->check(CLI::ExistingFile);
  app.add_option("--model", o.model, "Model name reported by /v1/models and /api/tags")->capture_default_str();
  app.add_option("--ttft-ms", o.ttft_ms, "Delay from request to first token (ms)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--tokens-per-s", o.tokens_per_s, "Token rate after the first token; 0 = unpaced")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--burn-us-per-token", o.burn_us_per_token, "CPU busy-loop per token (microseconds)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--fail-every", o.fail_every, "Every Nth completion request gets --fail-status; 0 = never")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--fail-status", o.fail_status, "HTTP status of injected failures")
      ->check(CLI::Range(400, 599))
      ->capture_default_str();
  app.add_option("--drop-after-tokens", o.drop_after_tokens,
                 "Close the connection after K tokens, before the reply is complete")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", o.threads, "Connections served concurrently (one thread each)")
      ->check(CLI::Range(1, 8192))
      ->capture_default_str();
  app.add_option("--batch-slowdown", o.batch_slowdown,
                 "Batching model: each token's interval grows by this fraction per extra stream in flight")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--nagle", o.nagle,
               "Leave Nagle's algorithm on (as some servers do); by default replies are sent with TCP_NODELAY");
  app.add_option("--token-log", o.token_log,
                 "Append one JSON line per streamed reply: its prompt and the steady-clock ns at which each "
                 "token was handed to the socket (for client-lag benchmarks)");
  app.add_option("--reasoning-format", o.reasoning_format,
                 "How an answers line's \"reasoning\" is streamed: deltas (reasoning_content / Ollama thinking), "
                 "think-tags (<think>…</think> in the content) or open-think (only the closing tag)")
      ->check(CLI::IsMember({"deltas", "think-tags", "open-think"}))
      ->capture_default_str();
  app.add_flag("!--no-reasoning-count", o.reasoning_count,
               "Leave completion_tokens_details.reasoning_tokens out of usage (as llama.cpp does)");
  app.add_flag("!--no-usage", o.usage, "Never report token usage, even when asked (stream_options.include_usage)");
  app.add_option("--request-log", o.request_log,
                 "Append each completion request's JSON body as one line (to check what a client sends)");
  app.add_flag("--deterministic", o.deterministic,
               "Replies a function of the request alone: ids from the prompt, created 0, nominal timings "
               "(to compare replies byte for byte)");
  app.add_flag("--verbose,-v", o.verbose, "Log one line per request to stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  return {o, 0};
}

}  // namespace ipw::mock
