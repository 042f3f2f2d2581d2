#include "ipw/inference/http_streamer.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/redact.h"
#include "ipw/common/version.h"

namespace ipw::inference {

namespace {

constexpr std::size_t kBodyHeadBytes = 512;      // kept for error messages
constexpr std::size_t kMessageBodyChars = 300;   // of which this much goes in a message
// Upper bound on one poll wait. Deadlines are normally hit exactly (the wait is cut to
// the nearest one) and cancel() wakes the poll at once; the bound only matters when
// the injected clock is not the real one.
constexpr std::int64_t kMaxPollWaitNs = 100'000'000;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl: curl_global_init failed");
    }
  });
}

// Per-transfer state the write callback sees.
struct Transfer {
  const Clock* clock = nullptr;
  CURL* easy = nullptr;
  StreamDecoder* decoder = nullptr;
  long status = 0;            // HTTP status, read when the first body byte arrives
  std::string body_head;      // the first bytes of the body, for messages
  std::size_t body_bytes = 0;
  std::int64_t t_last_byte_ns = 0;
  std::string decode_error;   // set when the decoder rejects the stream
};

bool is_2xx(long status) { return status >= 200 && status < 300; }

std::size_t on_write(char* ptr, std::size_t size, std::size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * nmemb;
  t->t_last_byte_ns = t->clock->now_ns();
  if (t->status == 0) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
  const std::string_view bytes(ptr, n);
  if (t->body_head.size() < kBodyHeadBytes) {
    t->body_head.append(bytes.substr(0, kBodyHeadBytes - t->body_head.size()));
  }
  t->body_bytes += n;
  if (!is_2xx(t->status)) return n;  // an error body: only its head is kept
  // Exceptions must not unwind through libcurl's C frames.
  try {
    t->decode_error = t->decoder->on_bytes(bytes, t->t_last_byte_ns);
  } catch (const std::exception& e) {
    t->decode_error = e.what();
  }
  return t->decode_error.empty() ? n : 0;  // 0 makes libcurl stop with CURLE_WRITE_ERROR
}

// Whitespace runs collapsed to one space and cut to max_chars, so a server's HTML or
// JSON error page fits on one line of a message.
std::string one_line(std::string_view s, std::size_t max_chars) {
  std::string out;
  bool space = false;
  for (char c : s) {
    const bool ws = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
  }
  return out;
}

// Loopback servers are never reached through a proxy, whatever http_proxy says;
// the user's own no_proxy entries are kept.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* var : {"no_proxy", "NO_PROXY"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      list += ',';
      list += v;
    }
  }
  return list;
}

std::int64_t deadline_after(std::int64_t t0_ns, double timeout_s) {
  constexpr double kMaxTimeoutS = 1e8;  // ~3 years; keeps the ns arithmetic in range
  return timeout_s > 0 ? t0_ns + s_to_ns(std::min(timeout_s, kMaxTimeoutS)) : 0;  // 0: none
}

}  // namespace

struct HttpStreamer::Slot {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  Slot() : multi(curl_multi_init()), easy(curl_easy_init()) {
    if (multi == nullptr || easy == nullptr) {
      cleanup();
      throw std::runtime_error("libcurl: cannot create a transfer handle");
    }
  }
  ~Slot() { cleanup(); }
  void cleanup() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
    easy = nullptr;
    multi = nullptr;
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
};

HttpStreamer::HttpStreamer(ClientOptions opts, const Clock& clock)
    : opts_(std::move(opts)), clock_(clock) {
  global_init_once();
}

HttpStreamer::~HttpStreamer() = default;

std::unique_ptr<HttpStreamer::Slot> HttpStreamer::acquire() {
  std::unique_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      slot = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!slot) slot = std::make_unique<Slot>();
  std::lock_guard lock(mu_);
  active_.push_back(slot.get());
  return slot;
}

void HttpStreamer::release(std::unique_ptr<Slot> slot) {
  std::lock_guard lock(mu_);
  std::erase(active_, slot.get());
  idle_.push_back(std::move(slot));
}

void HttpStreamer::cancel() {
  cancelled_.store(true);
  std::lock_guard lock(mu_);
  for (Slot* s : active_) curl_multi_wakeup(s->multi);
}

Result HttpStreamer::post(const HttpPost& post, StreamDecoder& decoder, TokenRecorder& recorder) {
  Response& response = recorder.response();
  const std::string url = redact_url(post.url);
  auto fail = [&](FailureKind kind, std::string message, int status = 0) -> Result {
    spdlog::debug("inference: {} failure: {}", to_string(kind), message);
    return unexpected(Failure{kind, std::move(message), status, std::move(response)});
  };
  if (cancelled_.load()) {
    response.t_send_ns = response.t_last_byte_ns = clock_.now_ns();
    return fail(FailureKind::cancelled, fmt::format("request to {} cancelled before it was sent", url));
  }

  std::unique_ptr<Slot> slot = acquire();
  CURL* easy = slot->easy;
  curl_easy_reset(easy);
  char curl_error[CURL_ERROR_SIZE] = {};
  Transfer t;
  t.clock = &clock_;
  t.easy = easy;
  t.decoder = &decoder;

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("Accept: " + post.accept).c_str());
  // Without this, bodies over 1 KiB wait up to a second for `100 Continue`.
  headers = curl_slist_append(headers, "Expect:");
  if (!opts_.api_key.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + opts_.api_key).c_str());
  }
  const std::string user_agent = fmt::format("ipw/{}", kVersion);
  const std::string no_proxy = no_proxy_list();
  curl_easy_setopt(easy, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);  // long silent prefills on remote hosts
  if (opts_.connect_timeout_s > 0) {
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::clamp(opts_.connect_timeout_s * 1e3, 1.0, 1e11)));
  }
  curl_multi_add_handle(slot->multi, easy);
  spdlog::debug("inference: POST {} ({} bytes)", url, post.body.size());

  const std::int64_t t_send = clock_.now_ns();
  response.t_send_ns = t_send;
  const std::int64_t total_deadline = deadline_after(t_send, opts_.total_timeout_s);
  const std::int64_t first_deadline = deadline_after(t_send, opts_.first_token_timeout_s);

  std::optional<FailureKind> aborted;
  CURLcode result = CURLE_OK;
  std::string multi_error;
  while (true) {
    int running = 0;
    if (CURLMcode mc = curl_multi_perform(slot->multi, &running); mc != CURLM_OK) {
      multi_error = curl_multi_strerror(mc);
      break;
    }
    if (running == 0) break;
    if (cancelled_.load()) {
      aborted = FailureKind::cancelled;
      break;
    }
    const std::int64_t now = clock_.now_ns();
    const bool first_due = first_deadline != 0 && !recorder.any_token() && now >= first_deadline;
    const bool total_due = total_deadline != 0 && now >= total_deadline;
    if (first_due && (!total_due || first_deadline <= total_deadline)) {
      aborted = FailureKind::timeout_first_token;
      break;
    }
    if (total_due) {
      aborted = FailureKind::timeout_total;
      break;
    }
    std::int64_t wait_ns = kMaxPollWaitNs;
    if (total_deadline != 0) wait_ns = std::min(wait_ns, total_deadline - now);
    if (first_deadline != 0 && !recorder.any_token()) wait_ns = std::min(wait_ns, first_deadline - now);
    const int wait_ms = static_cast<int>(std::max<std::int64_t>(1, (wait_ns + 999'999) / 1'000'000));
    curl_multi_poll(slot->multi, nullptr, 0, wait_ms, nullptr);
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(slot->multi, &left)) {
    if (msg->msg == CURLMSG_DONE) result = msg->data.result;
  }
  if (t.status == 0) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.status);
  curl_multi_remove_handle(slot->multi, easy);  // closes the connection if the transfer was cut
  curl_slist_free_all(headers);
  release(std::move(slot));
  response.t_last_byte_ns = t.t_last_byte_ns != 0 ? t.t_last_byte_ns : clock_.now_ns();

  const int status = static_cast<int>(t.status);
  if (aborted) {
    switch (*aborted) {
      case FailureKind::cancelled:
        return fail(*aborted, fmt::format("request to {} cancelled", url));
      case FailureKind::timeout_first_token:
        return fail(*aborted, fmt::format("no token from {} within {} s (first-token timeout)", url,
                                          opts_.first_token_timeout_s));
      default:
        return fail(*aborted, fmt::format("response from {} not complete within {} s (total timeout)",
                                          url, opts_.total_timeout_s));
    }
  }
  if (!multi_error.empty()) {
    return fail(FailureKind::protocol, fmt::format("libcurl failed on {}: {}", url, multi_error));
  }
  if (!t.decode_error.empty()) {
    return fail(FailureKind::protocol, fmt::format("bad stream from {}: {}", url, t.decode_error));
  }
  const std::string curl_detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(result);
  switch (result) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return fail(FailureKind::connect,
                  fmt::format("cannot connect to {}: {} (is the server running? check --server)",
                              url, curl_detail));
    case CURLE_OPERATION_TIMEDOUT:  // only the connect timeout is given to libcurl
      return fail(FailureKind::timeout_connect,
                  fmt::format("cannot connect to {} within {} s (connect timeout; check --server)",
                              url, opts_.connect_timeout_s));
    default:
      if (status != 0 && !is_2xx(status)) break;  // reported below with its body
      return fail(FailureKind::protocol,
                  fmt::format("transfer from {} failed after {} bytes: {}", url, t.body_bytes,
                              curl_detail));
  }
  if (!is_2xx(status)) {
    return fail(FailureKind::http_status,
                fmt::format("HTTP {} from {}: {}", status, url,
                            t.body_head.empty() ? "(empty body)"
                                                : one_line(t.body_head, kMessageBodyChars)),
                status);
  }
  std::string end_error;
  try {
    end_error = decoder.on_end(response.t_last_byte_ns);
  } catch (const std::exception& e) {
    end_error = e.what();
  }
  if (!end_error.empty()) {
    if (!recorder.any_token()) {
      end_error += fmt::format("; the body began: {}", t.body_head.empty()
                                                           ? "(empty body)"
                                                           : one_line(t.body_head, kMessageBodyChars));
    }
    return fail(FailureKind::protocol, fmt::format("bad stream from {}: {}", url, end_error));
  }
  spdlog::debug("inference: {} done, {} bytes, {} token deltas", url, t.body_bytes,
                response.token_times_ns.size());
  return std::move(response);
}

}  // namespace ipw::inference
