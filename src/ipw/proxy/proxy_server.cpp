#include "ipw/proxy/proxy_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipw/common/listen_backlog.h"
#include "ipw/common/access_policy.h"
#include "ipw/common/redact.h"
#include "ipw/common/text.h"
#include "ipw/common/thread_annotations.h"
#include "ipw/inference/reply_reader.h"
#include "ipw/inference/wire_json.h"
#include "ipw/proxy/task_book.h"
#include "ipw/proxy/upstream_pool.h"
#include "ipw/proxy/usage_request.h"

namespace ipw::proxy {
namespace {

using nlohmann::json;

// Headers that belong to one connection, not to the request or reply (RFC 9110
// 7.6.1), plus the framing httplib writes itself and the pseudo-headers it adds.
bool hop_by_hop(const std::string& name) {
  static const std::set<std::string> kNames = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
      "transfer-encoding", "upgrade", "host", "content-length", "remote_addr", "remote_port", "local_addr",
      "local_port"};
  return kNames.count(ascii_lower(name)) > 0;
}

struct Upstream {
  std::string scheme_host_port;  // for httplib::Client
  std::string prefix;            // prepended to every path ("" or "/something")
};

// Throws std::invalid_argument with the message for the user.
Upstream parse_upstream(const std::string& url) {
  const std::string lower = ascii_lower(url);
  const std::size_t host_at = lower.starts_with("http://") ? 7 : lower.starts_with("https://") ? 8 : 0;
  if (host_at == 0) {
    throw std::invalid_argument(fmt::format(
        "--upstream {} must be an http:// or https:// URL (the inference server's root, e.g. http://127.0.0.1:8080)",
        redact_url(url)));
  }
  const std::size_t slash = url.find('/', host_at);
  Upstream u{url.substr(0, slash), slash == std::string::npos ? "" : url.substr(slash)};
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (u.scheme_host_port.size() <= host_at) {
    throw std::invalid_argument(fmt::format("--upstream {} names no host", redact_url(url)));
  }
  return u;
}

// What a completion request says about itself, read once before it is forwarded.
struct RequestFacts {
  bool json_ok = false;
  std::string json_error;
  json body;
  bool stream = false;
  std::string user, prompt;
};

std::string last_user_text(const json& messages) {
  if (!messages.is_array()) return {};
  for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
    if (!m->is_object() || m->value("role", "") != "user") continue;
    const auto c = m->find("content");
    if (c == m->end()) return {};
    if (c->is_string()) return c->get<std::string>();
    std::string text;  // a list of parts: its text parts
    if (c->is_array()) {
      for (const json& part : *c) {
        if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
          text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
      }
    }
    return text;
  }
  return {};
}

RequestFacts read_request(inference::WireApi api, const std::string& body) {
  RequestFacts f;
  f.body = json::parse(body, nullptr, false);
  if (f.body.is_discarded() || !f.body.is_object()) {
    f.json_error = fmt::format("the request body is not a JSON object: {}", inference::wire_excerpt(body));
    f.body = json();
    return f;
  }
  f.json_ok = true;
  // Ollama streams unless told not to; OpenAI only when asked.
  const auto s = f.body.find("stream");
  f.stream = s != f.body.end() && s->is_boolean() ? s->get<bool>() : inference::is_ollama(api);
  if (const auto u = f.body.find("user"); u != f.body.end() && u->is_string()) f.user = u->get<std::string>();
  if (const auto m = f.body.find("messages"); m != f.body.end()) {
    f.prompt = last_user_text(*m);
  } else if (const auto p = f.body.find("prompt"); p != f.body.end() && p->is_string()) {
    f.prompt = p->get<std::string>();
  }
  return f;
}

UpstreamSettings upstream_settings(const ProxyOptions& o, const Upstream& u) {
  UpstreamSettings s;
  s.scheme_host_port = u.scheme_host_port;
  s.connect_timeout_s = o.connect_timeout_s;
  s.read_timeout_s = o.read_timeout_s;
  s.max_idle = static_cast<std::size_t>(o.threads);
  return s;
}

std::string error_json(const std::string& type, const std::string& message) {
  return json{{"error", {{"message", message}, {"type", type}, {"code", nullptr}}}}.dump();
}

// One request's exchange with upstream, shared by the connection's thread (which
// answers the client), the thread that talks to upstream, and the content provider
// that streams the reply on (httplib runs it on the connection's thread).
struct Relay {
  Mutex mu;
  std::condition_variable cv;
  bool head IPW_GUARDED_BY(mu) = false;  // upstream's status and headers arrived
  bool done IPW_GUARDED_BY(mu) = false;  // the exchange ended
  int status IPW_GUARDED_BY(mu) = 0;
  httplib::Headers headers IPW_GUARDED_BY(mu);
  std::deque<std::string> chunks IPW_GUARDED_BY(mu);  // reply bytes not yet passed on
  bool failed IPW_GUARDED_BY(mu) = false;             // ended before the reply was whole
  std::atomic<bool> abandon{false};  // the client left, or the proxy is stopping
  std::unique_ptr<httplib::Client> client;  // from the pool; back to it after a whole exchange

  explicit Relay(std::unique_ptr<httplib::Client> c) : client(std::move(c)) {}
};

}  // namespace

std::string validate(const ProxyOptions& o) {
  if (std::string why = check_bind_policy(o.bind, o.token, o.insecure,
                                          "send requests to the inference server through it");
      !why.empty()) {
    return why;
  }
  if (o.port < 0 || o.port > 65535) return "--port must be in [0, 65535]";
  if (o.upstream.empty()) return "--upstream is required: the URL of the inference server, e.g. http://127.0.0.1:8080";
  try {
    (void)parse_upstream(o.upstream);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  if (o.threads < 1) return "--threads must be at least 1";
  return {};
}

struct ProxyServer::Impl {
  ProxyOptions options;
  Upstream upstream;
  run::ObservedQueries& feed;
  TaskBook tasks;
  UpstreamPool pool;
  httplib::Server server;
  std::thread listener;
  std::atomic<std::uint64_t> next_seq{0};
  std::atomic<bool> stopping{false};
  Mutex relays_mu;
  std::condition_variable relays_cv;
  std::set<Relay*> relays IPW_GUARDED_BY(relays_mu);  // exchanges whose upstream thread runs
  bool stopped = false;
  // The threads that talk to upstream, one an exchange, started with the proxy: a thread
  // started per request was on every request's path to its first token. As many as the
  // connections served at once, each of which has one exchange at a time. Declared
  // last, so stop() and the destructor join them before anything they use goes.
  std::unique_ptr<httplib::ThreadPool> exchanges;

  Impl(ProxyOptions o, run::ObservedQueries& f)
      : options(std::move(o)),
        upstream(parse_upstream(options.upstream)),
        feed(f),
        pool(upstream_settings(options, upstream)) {}

  void handle(const httplib::Request& req, httplib::Response& res);
  // Talks to upstream, on one of `exchanges`, until the exchange ends; records it when
  // `observed` (a completion request).
  void exchange(std::shared_ptr<Relay> relay, httplib::Request up, std::optional<inference::WireApi> api,
                bool streamed, bool filter_usage, std::optional<run::ObservedQuery> observed,
                run::ObservedQueries::Ticket ticket);
};

void ProxyServer::Impl::handle(const httplib::Request& req, httplib::Response& res) {
  if (!options.token.empty() && !bearer_matches(req.get_header_value("Proxy-Authorization"), options.token)) {
    res.status = 407;
    res.set_header("Proxy-Authenticate", "Bearer");
    res.set_content(error_json("proxy_authentication_required",
                               "ipw proxy: send the proxy's token as 'Proxy-Authorization: Bearer TOKEN'"),
                    "application/json");
    return;
  }
  httplib::Request up;
  up.method = req.method;
  up.path = upstream.prefix + req.target;
  up.body = req.body;
  for (const auto& [name, value] : req.headers) {
    if (!hop_by_hop(name)) up.headers.emplace(name, value);
  }

  const std::optional<inference::WireApi> api = req.method == "POST" ? inference::completion_api(req.path)
                                                                     : std::nullopt;
  std::optional<run::ObservedQuery> observed;
  bool streamed = false, filter_usage = false;
  run::ObservedQueries::Ticket ticket;
  if (api) {
    const RequestFacts facts = read_request(*api, req.body);
    streamed = facts.stream;
    if (facts.json_ok && !inference::is_ollama(*api)) {
      if (auto body = with_usage_requested(facts.body, req.body)) {
        up.body = std::move(*body);
        filter_usage = true;
      }
    }
    const int seq = static_cast<int>(next_seq++);
    const TaskBook::Assigned at = tasks.assign(req.get_header_value("X-IPW-Task"), facts.user, seq);
    run::ObservedQuery q;
    q.record.seq = seq;
    q.record.item_id = fmt::format("request-{}", seq);
    q.record.task = at.task;
    q.record.turn = at.turn;
    q.record.prompt = facts.prompt;
    q.record.kind = "chat";
    if (!facts.json_ok) {
      q.record.error_kind = "bad_request";
      q.record.error_message = facts.json_error;
    }
    observed = std::move(q);
    ticket = feed.begin();
  }

  auto relay = std::make_shared<Relay>(pool.take());
  {
    MutexLock l(relays_mu);
    relays.insert(relay.get());
  }
  // std::function wants a copyable job: the request travels in a shared holder.
  auto job = std::make_shared<std::pair<httplib::Request, std::optional<run::ObservedQuery>>>(std::move(up),
                                                                                              std::move(observed));
  exchanges->enqueue([this, relay, job, api, streamed, filter_usage, ticket] {
    exchange(relay, std::move(job->first), api, streamed, filter_usage, std::move(job->second), ticket);
  });

  MutexLock l(relay->mu);
  // Woken once, when the head and the first bytes are in (or it ended): the status and
  // headers then go out with the first chunk right behind them.
  relay->cv.wait(l.native(),
                 [&]() IPW_REQUIRES(relay->mu) { return relay->done || (relay->head && !relay->chunks.empty()); });
  if (!relay->head) {
    res.status = 502;
    res.set_content(error_json("upstream_unreachable",
                               fmt::format("ipw proxy: no reply from the inference server at {}", redact_url(options.upstream))),
                    "application/json");
    return;
  }
  res.status = relay->status;
  std::string content_type = "application/octet-stream";
  bool sized = false;
  for (const auto& [name, value] : relay->headers) {
    const std::string lower = ascii_lower(name);
    if (lower == "content-type") content_type = value;
    if (lower == "content-length") sized = true;
    if (!hop_by_hop(name) && lower != "content-type") res.headers.emplace(name, value);
  }
  if (sized) {
    // A reply of known length goes back with that length, once whole.
    relay->cv.wait(l.native(), [&]() IPW_REQUIRES(relay->mu) { return relay->done; });
    std::string body;
    for (const std::string& c : relay->chunks) body += c;
    relay->chunks.clear();
    res.set_content(std::move(body), content_type);
    return;
  }
  res.set_chunked_content_provider(
      content_type,
      [relay](std::size_t, httplib::DataSink& sink) {
        MutexLock lock(relay->mu);
        relay->cv.wait(lock.native(), [&]() IPW_REQUIRES(relay->mu) { return !relay->chunks.empty() || relay->done; });
        while (!relay->chunks.empty()) {
          const std::string chunk = std::move(relay->chunks.front());
          relay->chunks.pop_front();
          if (!sink.write(chunk.data(), chunk.size())) {
            relay->abandon = true;  // the client left: upstream is told by the next chunk
            return false;
          }
        }
        if (!relay->done) return true;
        if (relay->failed) return false;  // close without the last chunk: the client sees a cut reply
        sink.done();
        return true;
      },
      [relay](bool success) {
        if (!success) relay->abandon = true;
      });
}

void ProxyServer::Impl::exchange(std::shared_ptr<Relay> relay, httplib::Request up,
                                 std::optional<inference::WireApi> api, bool streamed, bool filter_usage,
                                 std::optional<run::ObservedQuery> observed, run::ObservedQueries::Ticket ticket) {
  const Clock& clock = steady_clock();
  std::optional<inference::ReplyReader> reader;
  if (api) reader.emplace(*api, streamed);
  UsageChunkFilter filter;
  int status = 0;
  std::string error_body;  // a non-2xx reply's start, for the stored message
  std::int64_t t_last_ns = 0;
  const auto push = [&](std::string bytes) {
    if (bytes.empty()) return;
    {
      MutexLock l(relay->mu);
      relay->chunks.push_back(std::move(bytes));
    }
    relay->cv.notify_all();
  };
  up.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    {
      MutexLock l(relay->mu);
      relay->head = true;
      relay->status = r.status;
      relay->headers = r.headers;
    }
    // No wake-up yet: the connection's thread waits for the first bytes too.
    return !relay->abandon;
  };
  up.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    t_last_ns = clock.now_ns();
    const std::string_view bytes(data, n);
    const bool ok = status >= 200 && status < 300;
    if (reader && ok) reader->on_bytes(bytes, t_last_ns);
    if (!ok && error_body.size() < inference::kWireExcerptChars) error_body.append(bytes);
    push(filter_usage && ok ? filter.feed(bytes) : std::string(bytes));
    return !relay->abandon && !stopping;
  };
  const httplib::Result result = relay->client->send(up);
  if (t_last_ns == 0) t_last_ns = clock.now_ns();
  const bool whole = static_cast<bool>(result);
  if (whole && filter_usage && status >= 200 && status < 300) push(filter.finish());
  {
    MutexLock l(relay->mu);
    relay->failed = !whole;
    relay->done = true;
  }
  relay->cv.notify_all();

  if (observed) {
    run::ObservedQuery& q = *observed;
    std::string decode_error;
    if (reader && whole && status >= 200 && status < 300) decode_error = reader->on_end(t_last_ns);
    if (reader) {
      q.response = std::move(reader->response());
      q.record.tool_calls = reader->tool_calls();
    }
    q.response.t_last_byte_ns = t_last_ns;
    q.t_end_ns = t_last_ns;
    if (q.record.error_kind.empty()) {
      if (!whole) {
        const bool cut_short = relay->abandon || stopping;
        q.record.error_kind = cut_short ? "cancelled" : status == 0 ? "connect" : "protocol";
        q.record.error_message =
            cut_short ? (stopping ? "ipw proxy stopped during the reply" : "the client closed the connection")
            : status == 0 ? fmt::format("cannot reach the inference server at {}: {}", redact_url(options.upstream),
                                        httplib::to_string(result.error()))
                          : fmt::format("the reply from the inference server broke off: {}",
                                        httplib::to_string(result.error()));
      } else if (status < 200 || status >= 300) {
        q.record.error_kind = "http_status";
        q.record.error_message = fmt::format("{} (HTTP {})", inference::wire_excerpt(error_body), status);
      } else if (!decode_error.empty()) {
        q.record.error_kind = "protocol";
        q.record.error_message = decode_error;
      }
    }
    feed.end(ticket, std::move(q));
  }
  // Under the lock: stop() stops the clients of the exchanges in the set, and once the
  // set is empty it may return and the pool be destroyed.
  MutexLock l(relays_mu);
  relays.erase(relay.get());
  if (whole && !relay->abandon && !stopping) pool.give_back(std::move(relay->client));
  relays_cv.notify_all();
}

ProxyServer::ProxyServer(ProxyOptions options, run::ObservedQueries& feed)
    : impl_(std::make_unique<Impl>(std::move(options), feed)) {
  Impl* impl = impl_.get();
  const int threads = impl->options.threads;
  impl->server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  impl->exchanges = std::make_unique<httplib::ThreadPool>(static_cast<std::size_t>(threads));
  impl->server.set_tcp_nodelay(true);  // each streamed chunk goes out when it arrives
  impl->server.set_keep_alive_max_count(1'000'000);  // a client's connection serves all its requests
  const auto handler = [impl](const httplib::Request& req, httplib::Response& res) { impl->handle(req, res); };
  impl->server.Get(".*", handler);
  impl->server.Post(".*", handler);
  impl->server.Put(".*", handler);
  impl->server.Patch(".*", handler);
  impl->server.Delete(".*", handler);
  impl->server.Options(".*", handler);
}

ProxyServer::~ProxyServer() { stop(); }

int ProxyServer::bind() {
  Impl& m = *impl_;
  int port = m.options.port;
  if (port == 0) {
    port = m.server.bind_to_any_port(m.options.bind);
  } else if (!m.server.bind_to_port(m.options.bind, port)) {
    port = -1;
  }
  if (port < 0) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{} (in use, or not an address of this host)",
                                         m.options.bind, m.options.port));
  }
  widen_listen_backlog(port);  // agents that connect at once are not made to wait a second
  return port;
}

void ProxyServer::serve() {
  Impl& m = *impl_;
  m.listener = std::thread([&m] { m.server.listen_after_bind(); });
}

void ProxyServer::stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.stopping = true;
  {
    MutexLock l(m.relays_mu);
    for (Relay* r : m.relays) {
      r->abandon = true;
      r->client->stop();  // a reply that is not arriving ends now, not at the read timeout
    }
  }
  m.server.stop();
  if (m.listener.joinable()) m.listener.join();
  {
    MutexLock l(m.relays_mu);
    m.relays_cv.wait(l.native(), [&]() IPW_REQUIRES(m.relays_mu) { return m.relays.empty(); });
  }
  m.exchanges->shutdown();  // the exchanges' last steps (after leaving the set) end too
}

std::uint64_t ProxyServer::requests() const { return impl_->next_seq.load(); }

std::size_t ProxyServer::tasks() const { return impl_->tasks.tasks(); }

}  // namespace ipw::proxy
