#include "handlers.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>

#include "pacer.h"
#include "request.h"
#include "wire_format.h"

namespace ipw::mock {
namespace {

using nlohmann::json;

// Counts a reply in flight for as long as it exists (it lives as long as httplib
// streams it).
struct InFlight {
  explicit InFlight(std::atomic<int>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  std::atomic<int>& n_;
};

// One reply being produced: the pieces to send, the pacing, the stats it reports.
struct Reply {
  std::string prompt;                 // for --token-log
  Fault fault;                        // the answers line's fault (faults.h)
  std::vector<std::int64_t> sent_ns;  // for --token-log: when each piece was handed to the socket
  std::vector<std::string> pieces;
  std::size_t thinking = 0;  // the first `thinking` pieces are reasoning deltas
  ReplyStats stats;
  std::unique_ptr<WireFormat> format;
  Pacer pacer;
  std::shared_ptr<InFlight> in_flight;
};

// Sleeps up to ms, in short steps so that SIGTERM ends it (returns false then).
bool sleep_unless_stopping(const ServerState& st, double ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<long long>(ms * 1e3));
  while (std::chrono::steady_clock::now() < end) {
    if (st.stopping) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(20),
                                                                              end - std::chrono::steady_clock::now()));
  }
  return true;
}

// A stream fault due before piece i: sends what it injects and says whether the
// reply goes on (true) or ends here with `finished` telling how (true: ended cleanly).
bool inject_stream_fault(ServerState& st, Reply& r, std::size_t i, const std::function<bool(const std::string&)>& send,
                         bool& finished) {
  const Fault& f = r.fault;
  finished = false;
  if (i != static_cast<std::size_t>(f.after_tokens)) return true;
  switch (f.kind) {
    case Fault::Kind::stall:  // nothing more, connection open, until the client gives up or SIGTERM
      sleep_unless_stopping(st, 600e3);
      return false;
    case Fault::Kind::reset:
      return false;  // httplib closes the connection without the terminating chunk
    case Fault::Kind::invalid_utf8: {
      // A placeholder the JSON writer escapes, replaced by raw bytes no JSON writer would emit.
      const std::string marker = "\\u0001fault\\u0001";
      std::string chunk = r.format->stream_piece(r.stats, "\x01" "fault" "\x01", false);
      chunk.replace(chunk.find(marker), marker.size(), kInvalidUtf8Token);
      return send(chunk);
    }
    case Fault::Kind::malformed:
      return send(r.format->stream_raw("{\"choices\": [{\"delta\": {\"content\": \"cut off"));
    case Fault::Kind::error_event:
      finished = send(r.format->stream_raw(r.format->error_body("injected error event after " +
                                                                std::to_string(i) + " tokens")));
      return false;
    default:
      return true;
  }
}

void log_request(const ServerState& st, const httplib::Request& req, const std::string& what) {
  if (st.options.verbose)
    std::fprintf(stderr, "mock: %s %s -> %s\n", req.method.c_str(), req.path.c_str(), what.c_str());
}

// The timings the last chunk reports: as measured, or (--deterministic) as paced.
void record_timings(const ServerState& st, Reply& r) {
  if (st.options.deterministic) {
    const auto n = static_cast<double>(r.pieces.size());
    r.stats.prompt_ms = st.options.ttft_ms;
    r.stats.predicted_ms = n > 1 && st.options.tokens_per_s > 0 ? 1000.0 * (n - 1) / st.options.tokens_per_s : 0.0;
    return;
  }
  r.stats.prompt_ms = r.pacer.prompt_ms();
  r.stats.predicted_ms = r.pacer.predicted_ms();
}

// Sends the reply as SSE/NDJSON chunks, one piece per chunk. With
// --drop-after-tokens K the provider gives up after K pieces: httplib then closes
// the connection without the terminating chunk, as a crashed server would.
void stream_reply(ServerState& st, std::shared_ptr<Reply> reply, httplib::Response& res) {
  const std::string content_type = reply->format->stream_content_type();
  res.set_chunked_content_provider(content_type, [&st, reply](std::size_t, httplib::DataSink& sink) {
    auto send = [&sink](const std::string& text) { return text.empty() || sink.write(text.data(), text.size()); };
    if (!send(reply->format->stream_begin(reply->stats))) return false;
    const auto& drop = st.options.drop_after_tokens;
    for (std::size_t i = 0; i < reply->pieces.size(); ++i) {
      if (drop && i >= static_cast<std::size_t>(*drop)) return false;
      if (bool finished = false; !inject_stream_fault(st, *reply, i, send, finished)) {
        if (finished) sink.done();
        return finished;
      }
      if (!reply->pacer.wait_for_token(i)) return false;
      reply->stats.completion_tokens = static_cast<int>(i + 1);
      const bool thinking = i < reply->thinking;
      if (thinking) reply->stats.reasoning_tokens = static_cast<int>(i + 1);
      if (!send(reply->format->stream_piece(reply->stats, reply->pieces[i], thinking))) return false;
      if (st.token_log.is_open()) {
        reply->sent_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
      }
    }
    log_tokens(st, reply->prompt, reply->sent_ns);
    if (drop) return false;  // fewer pieces than K: still never finish the reply
    if (!reply->stats.tool_calls.is_null()) {
      if (!reply->pacer.wait_for_token(0)) return false;  // the calls come after the prefill
      reply->stats.completion_tokens = static_cast<int>(reply->stats.tool_calls.size());
      if (!send(reply->format->stream_tool_calls(reply->stats))) return false;
    }
    record_timings(st, *reply);
    if (!send(reply->format->stream_end(reply->stats))) return false;
    sink.done();
    return true;
  });
}

// Produces the whole reply (same pacing and CPU burn), then sends it in one body.
void whole_reply(ServerState& st, std::shared_ptr<Reply> reply, httplib::Response& res) {
  std::string text;
  for (std::size_t i = 0; i < reply->pieces.size(); ++i) {
    if (!reply->pacer.wait_for_token(i)) {
      res.status = 503;
      res.set_content(reply->format->error_body("server shutting down"), "application/json");
      return;
    }
    if (i >= reply->thinking) text += reply->pieces[i];  // a whole reply carries no reasoning deltas
  }
  reply->stats.reasoning_tokens = static_cast<int>(std::min(reply->thinking, reply->pieces.size()));
  reply->stats.completion_tokens = static_cast<int>(reply->pieces.size());
  if (!reply->stats.tool_calls.is_null()) {
    if (!reply->pacer.wait_for_token(0)) return;  // the calls come after the prefill (a 503 on shutdown is moot)
    reply->stats.completion_tokens = static_cast<int>(reply->stats.tool_calls.size());
  }
  record_timings(st, *reply);
  auto body = std::make_shared<std::string>(reply->format->whole(reply->stats, text));
  if (!st.options.drop_after_tokens) {
    res.set_content(*body, "application/json");
    return;
  }
  // Announce the full length, send half, hang up: the client sees a truncated body.
  res.set_content_provider(body->size(), "application/json",
                           [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             if (offset == 0) sink.write(body->data(), body->size() / 2);
                             return false;
                           });
}

// The faults that act before a reply starts: an HTTP status on a prompt's first
// request, an HTML page, late headers. Returns false when the response is complete.
bool reply_fault_up_front(ServerState& st, const AnswerBook::Entry& entry, const WireFormat& format,
                          const httplib::Request& req, httplib::Response& res) {
  const Fault& f = entry.fault;
  if (f.kind == Fault::Kind::status) {
    int seen = 0;
    {
      std::lock_guard lock(st.fault_mu);
      seen = st.fault_requests[entry.prompt]++;
    }
    if (seen > 0) return true;  // answered from the second request on
    res.status = f.status;
    if (f.retry_after_s) res.set_header("Retry-After", std::to_string(*f.retry_after_s));
    res.set_content(format.error_body("injected HTTP " + std::to_string(f.status) + " (fault status)"),
                    "application/json");
    log_request(st, req, "fault: " + std::to_string(f.status));
    return false;
  }
  if (f.kind == Fault::Kind::html) {
    res.status = 200;
    res.set_content("<!DOCTYPE html><html><head><title>Gateway</title></head><body><h1>Please sign in</h1></body></html>",
                    "text/html");
    log_request(st, req, "fault: html");
    return false;
  }
  if (f.kind == Fault::Kind::slow_headers) return sleep_unless_stopping(st, f.delay_ms);
  return true;
}

// Puts an answers line's reasoning before its answer, as --reasoning-format says.
// Completion endpoints have no reasoning field, so there the deltas become tags.
void add_reasoning(const MockOptions& o, const AnswerBook::Entry& entry, Api api, Reply& reply) {
  if (entry.reasoning.empty()) return;
  std::vector<std::string> thought = split_pieces(entry.reasoning);
  const bool chat = api == Api::OpenAiChat || api == Api::OllamaChat;
  if (o.reasoning_format == "deltas" && (chat || api == Api::OllamaGenerate)) {
    reply.thinking = thought.size();
  } else {
    if (o.reasoning_format != "open-think") thought.insert(thought.begin(), "<think>");
    thought.push_back("</think>");
    thought.push_back("\n\n");
  }
  reply.pieces.insert(reply.pieces.begin(), thought.begin(), thought.end());
}

void handle_completion(ServerState& st, Api api, const httplib::Request& req, httplib::Response& res) {
  const auto t_request = Pacer::Clock::now();
  const std::uint64_t n = ++st.completion_requests;
  auto format = make_wire_format(api);
  if (st.request_log.is_open()) {
    std::string line = req.body;
    std::replace(line.begin(), line.end(), '\n', ' ');  // one request, one line
    std::lock_guard lock(st.request_log_mu);
    st.request_log << line << '\n';
    st.request_log.flush();
  }
  if (st.options.fail_every > 0 && n % static_cast<std::uint64_t>(st.options.fail_every) == 0) {
    res.status = st.options.fail_status;
    res.set_content(format->error_body("injected failure (request " + std::to_string(n) + ", --fail-every " +
                                       std::to_string(st.options.fail_every) + ")"),
                    "application/json");
    log_request(st, req, "injected " + std::to_string(res.status));
    return;
  }
  CompletionRequest cr;
  try {
    cr = parse_request(api, req.body);
  } catch (const BadRequest& e) {
    res.status = 400;
    res.set_content(format->error_body(e.what()), "application/json");
    log_request(st, req, std::string("400 ") + e.what());
    return;
  }
  const AnswerBook::Entry& entry = st.book.entry_for(cr.prompt_text);
  if (!reply_fault_up_front(st, entry, *format, req, res)) return;
  auto reply = std::make_shared<Reply>(
      Reply{cr.prompt_text, entry.fault, {}, split_pieces(entry.answer), 0, ReplyStats{}, std::move(format),
            Pacer(t_request, st.options.ttft_ms, st.options.tokens_per_s, st.options.burn_us_per_token, st.stopping,
                  st.options.batch_slowdown, &st.in_flight),
            std::make_shared<InFlight>(st.in_flight)});
  add_reasoning(st.options, entry, api, *reply);
  const bool chat = api == Api::OpenAiChat || api == Api::OllamaChat;
  if (chat && !entry.tool_calls.is_null() && !cr.after_tool) {
    // The model "decides" to call tools: no text, the calls, finish_reason tool_calls.
    reply->pieces.clear();
    reply->thinking = 0;
    reply->stats.tool_calls = entry.tool_calls;
    reply->stats.finish_reason = "tool_calls";
  }
  if (entry.fault.kind == Fault::Kind::huge_token && !reply->pieces.empty()) {
    reply->pieces.front() = std::string(entry.fault.bytes, 'x');
  }
  if (cr.max_tokens && reply->pieces.size() > static_cast<std::size_t>(*cr.max_tokens)) {
    reply->pieces.resize(static_cast<std::size_t>(*cr.max_tokens));
    reply->stats.finish_reason = "length";
  }
  ReplyStats& s = reply->stats;
  s.model = cr.model.empty() ? st.options.model : cr.model;
  const std::size_t id_n = st.options.deterministic ? std::hash<std::string>{}(cr.prompt_text) % 1'000'000'000
                                                    : static_cast<std::size_t>(++st.next_id);
  s.id = std::string(api == Api::OpenAiChat ? "chatcmpl" : "cmpl") + "-mock-" + std::to_string(id_n);
  s.created_unix_s = st.options.deterministic ? 0
                                              : std::chrono::duration_cast<std::chrono::seconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count();
  s.prompt_tokens = count_words(cr.prompt_text);
  s.include_usage = cr.include_usage;
  s.usage = st.options.usage;
  s.reasoning_count = st.options.reasoning_count;
  log_request(st, req, std::to_string(reply->pieces.size()) + " pieces" + (cr.stream ? ", streamed" : ""));
  if (cr.stream) {
    stream_reply(st, reply, res);
  } else {
    whole_reply(st, reply, res);
  }
}

}  // namespace

void log_tokens(ServerState& st, const std::string& prompt, const std::vector<std::int64_t>& sent_ns) {
  if (!st.token_log.is_open()) return;
  const std::string line = json{{"prompt", prompt}, {"sent_ns", sent_ns}}.dump(-1, ' ', false, json::error_handler_t::replace);
  std::lock_guard lock(st.token_log_mu);
  st.token_log << line << '\n';
  st.token_log.flush();
}

void install_handlers(httplib::Server& server, ServerState& st) {
  // --verbose logs every GET too (the completion handlers log what they replied).
  server.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response&) {
    if (req.method == "GET") log_request(st, req, "metadata");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto completion = [&st](Api api) {
    return [&st, api](const httplib::Request& req, httplib::Response& res) { handle_completion(st, api, req, res); };
  };
  server.Post("/v1/chat/completions", completion(Api::OpenAiChat));
  server.Post("/v1/completions", completion(Api::OpenAiCompletions));
  server.Post("/api/chat", completion(Api::OllamaChat));
  server.Post("/api/generate", completion(Api::OllamaGenerate));

  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  server.Get("/v1/models", [&st](const httplib::Request&, httplib::Response& res) {
    json models = {{"object", "list"},
                   {"data", json::array({{{"id", st.options.model}, {"object", "model"}, {"owned_by", "ipw-mock"}}})}};
    res.set_content(models.dump(), "application/json");
  });
  server.Get("/api/tags", [&st](const httplib::Request&, httplib::Response& res) {
    json tags = {{"models", json::array({{{"name", st.options.model},
                                          {"model", st.options.model},
                                          {"size", 0},
                                          {"details", {{"family", "mock"}, {"parameter_size", "0B"}}}}})}};
    res.set_content(tags.dump(), "application/json");
  });
  // Ollama's model download, answered at once: the pull is logged (stdout), so a test of
  // ipw's Ollama launcher can see that a missing model was pulled.
  server.Post("/api/pull", [](const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    const std::string model = body.is_object() ? body.value("model", "") : "";
    if (model.empty()) {
      res.status = 400;
      res.set_content(R"({"error":"no model"})", "application/json");
      return;
    }
    std::printf("mock: pulled %s\n", model.c_str());
    std::fflush(stdout);
    res.set_content(R"({"status":"success"})", "application/json");
  });
  server.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"version":"ipw-mock"})", "application/json");
  });
  // Ollama answers its root with this exact text; clients use it as a liveness probe.
  server.Get(
      "/", [](const httplib::Request&, httplib::Response& res) { res.set_content("Ollama is running", "text/plain"); });
}

}  // namespace ipw::mock
