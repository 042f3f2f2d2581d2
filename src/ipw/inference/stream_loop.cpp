#include "ipw/inference/stream_loop.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/redact.h"
#include "ipw/common/utf8.h"
#include "ipw/common/version.h"

namespace ipw::inference {
namespace {

constexpr std::size_t kBodyHeadBytes = 512;      // kept for error messages
constexpr std::size_t kMessageBodyChars = 300;   // of which this much goes in a message

// Acknowledges what was just read at once. A server that leaves Nagle's algorithm
// on holds each small write until the previous one is acknowledged, and Linux
// delays acknowledgements up to 40 ms on a keep-alive connection: that would put
// 40 ms into a token's timing that neither the model nor the network spent.
// TCP_QUICKACK is not sticky, so it is set after every read (it also sends an ACK
// that is pending).
void ack_now(int sock) {
  const int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

bool is_2xx(long status) { return status >= 200 && status < 300; }

std::size_t on_write(char* ptr, std::size_t size, std::size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * nmemb;
  t->t_last_byte_ns = t->clock->now_ns();
  if (*t->timer_reads != nullptr) (*t->timer_reads)->push_back(t);
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
  return valid_utf8(out);  // an error page in any encoding (or cut mid-character): a valid message
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

CURL* StreamLoop::easy_handle() {
  if (!idle_easy_.empty()) {
    CURL* e = idle_easy_.back();
    idle_easy_.pop_back();
    curl_easy_reset(e);
    return e;
  }
  CURL* e = curl_easy_init();
  if (e == nullptr) throw std::runtime_error("libcurl: cannot create a transfer handle");
  return e;
}

void StreamLoop::start(HttpPost post, StreamJob& job, std::unique_ptr<StreamJob> owned, DoneCallback done) {
  Response& response = job.recorder().response();
  const std::string url = redact_url(post.url);
  if (cancelled_.load()) {
    response.t_send_ns = response.t_last_byte_ns = clock_.now_ns();
    ready_.emplace_back(std::move(done),
                        unexpected(Failure{FailureKind::cancelled,
                                           fmt::format("request to {} cancelled before it was sent", url), 0,
                                           std::move(response), clock_.now_ns(), std::nullopt}));
    if (owned) ready_jobs_.push_back(std::move(owned));
    return;
  }
  auto a = std::make_unique<Active>();
  a->easy = easy_handle();
  a->post = std::move(post);
  a->url = url;
  a->job = &job;
  a->owned = std::move(owned);
  a->done = std::move(done);
  a->t.clock = &clock_;
  a->t.easy = a->easy;
  a->t.decoder = &job.decoder();
  a->t.timer_reads = &in_timer_reads_;
  CURL* easy = a->easy;
  a->headers = curl_slist_append(a->headers, "Content-Type: application/json");
  a->headers = curl_slist_append(a->headers, ("Accept: " + a->post.accept).c_str());
  // Without this, bodies over 1 KiB wait up to a second for `100 Continue`.
  a->headers = curl_slist_append(a->headers, "Expect:");
  if (!opts_.api_key.empty()) {
    a->headers = curl_slist_append(a->headers, ("Authorization: Bearer " + opts_.api_key).c_str());
  }
  static const std::string user_agent = fmt::format("ipw/{}", kVersion);
  static const std::string no_proxy = no_proxy_list();
  curl_easy_setopt(easy, CURLOPT_URL, a->post.url.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, a->post.body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(a->post.body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, a->headers);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &a->t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, a->curl_error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, a.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);  // long silent prefills on remote hosts
  if (opts_.connect_timeout_s > 0) {
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::clamp(opts_.connect_timeout_s * 1e3, 1.0, 1e11)));
  }
  spdlog::debug("inference: POST {} ({} bytes)", url, a->post.body.size());
  const std::int64_t t_send = clock_.now_ns();
  response.t_send_ns = t_send;
  a->total_deadline = deadline_after(t_send, opts_.total_timeout_s);
  a->first_deadline = deadline_after(t_send, opts_.first_token_timeout_s);
  for (std::int64_t d : {a->total_deadline, a->first_deadline}) {
    if (d != 0) next_deadline_ns_ = std::min(next_deadline_ns_, d);
  }
  curl_multi_add_handle(multi_, easy);
  active_.push_back(std::move(a));
}

void StreamLoop::act(curl_socket_t sock, int events, std::size_t& ended) {
  int running = 0;
  if (sock == CURL_SOCKET_TIMEOUT) timer_set_ = false;
  timer_reads_.clear();
  in_timer_reads_ = sock == CURL_SOCKET_TIMEOUT ? &timer_reads_ : nullptr;
  const CURLMcode mc = curl_multi_socket_action(multi_, sock, events, &running);
  in_timer_reads_ = nullptr;
  if (mc != CURLM_OK) {
    const std::string message = curl_multi_strerror(mc);
    while (!active_.empty()) {
      finish(active_.front().get(), std::nullopt, CURLE_OK, message);
      ++ended;
    }
    return;
  }
  if (sock != CURL_SOCKET_TIMEOUT) {
    if ((events & CURL_CSELECT_IN) != 0) ack_now(sock);
  } else {
    // A timer action sends new requests, and libcurl tries a read at once: a reply's
    // headers or first bytes can be read here. Acknowledged: the streams that received
    // bytes in it and those still waiting for their body (headers carry no bytes to the
    // write callback) — not every watched socket, a syscall each, which on every timer
    // action cost more than a microsecond a token at 256 streams.
    for (const Transfer* t : timer_reads_) {
      if (t->sock != CURL_SOCKET_BAD) ack_now(t->sock);
    }
    for (const auto& a : active_) {
      if (a->t.body_bytes == 0 && a->t.sock != CURL_SOCKET_BAD) ack_now(a->t.sock);
    }
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Active* a = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &a);
    const CURLcode result = msg->data.result;
    if (a != nullptr) {
      finish(a, std::nullopt, result, "");
      ++ended;
    }
  }
}

std::size_t StreamLoop::poll(std::int64_t wait_ns) {
  const std::int64_t until = clock_.now_ns() + std::max<std::int64_t>(0, wait_ns);
  std::size_t ended = 0;
  constexpr int kEvents = 256;
  epoll_event events[kEvents];
  // Sockets are read at least once per call, even when the wait is 0 or already over:
  // a caller polling with no time to spare (a scheduler with work queued) must still
  // see its transfers progress (once, such a caller starved a stream into its timeout).
  bool polled = false;
  while (true) {
    if (!ready_.empty()) {
      // Moved out first: a callback may start (and so queue) another request.
      auto ready = std::move(ready_);
      ready_.clear();
      ready_jobs_.clear();
      for (auto& [done, result] : ready) {
        if (done) done(std::move(result));
        ++ended;
      }
    }
    if (timer_set_ && clock_.now_ns() >= timer_ns_) act(CURL_SOCKET_TIMEOUT, 0, ended);
    const std::int64_t now = clock_.now_ns();
    // The transfers are scanned for timeouts only once the earliest deadline of the
    // last scan has come (or a cancel): not on every wake-up, which at high
    // concurrency is every token. A deadline only goes away between scans (a first
    // token came, a transfer ended), so the remembered one is never late.
    if (cancelled_.load() || now >= next_deadline_ns_) {
      next_deadline_ns_ = std::numeric_limits<std::int64_t>::max();
      std::vector<std::pair<Active*, FailureKind>> due;
      for (auto& a : active_) {
        const bool waiting_first = a->first_deadline != 0 && !a->job->recorder().any_token();
        if (cancelled_.load()) {
          due.emplace_back(a.get(), FailureKind::cancelled);
        } else if (waiting_first && now >= a->first_deadline &&
                   (a->total_deadline == 0 || a->first_deadline <= a->total_deadline || now < a->total_deadline)) {
          due.emplace_back(a.get(), FailureKind::timeout_first_token);
        } else if (a->total_deadline != 0 && now >= a->total_deadline) {
          due.emplace_back(a.get(), FailureKind::timeout_total);
        } else {
          if (a->total_deadline != 0) next_deadline_ns_ = std::min(next_deadline_ns_, a->total_deadline);
          if (waiting_first) next_deadline_ns_ = std::min(next_deadline_ns_, a->first_deadline);
        }
      }
      for (auto& [a, kind] : due) {
        finish(a, kind, CURLE_OK, "");
        ++ended;
      }
    }
    std::int64_t next = std::min(until, next_deadline_ns_);
    if (ended > 0 || active_.empty() || (now >= until && polled)) return in_flight();
    if (timer_set_) next = std::min(next, timer_ns_);
    const std::int64_t wait = std::clamp<std::int64_t>(next - now, 0, kMaxPollWaitNs);
    const int n = epoll_wait(epoll_, events, kEvents, static_cast<int>((wait + 999'999) / 1'000'000));
    polled = true;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = read(wake_, &count, sizeof count);
        continue;
      }
      int flags = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
      if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
      act(fd, flags, ended);
    }
  }
}

void StreamLoop::finish(Active* a, std::optional<FailureKind> aborted, CURLcode result,
                        const std::string& multi_error) {
  if (a->t.status == 0) curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &a->t.status);
  curl_multi_remove_handle(multi_, a->easy);  // closes the connection if the transfer was cut
  Result r = conclude(*a, aborted, result, multi_error);
  curl_slist_free_all(a->headers);
  a->headers = nullptr;
  idle_easy_.push_back(a->easy);
  DoneCallback done = std::move(a->done);
  std::unique_ptr<StreamJob> owned = std::move(a->owned);
  std::erase_if(active_, [a](const std::unique_ptr<Active>& x) { return x.get() == a; });
  if (done) done(std::move(r));
}

Result StreamLoop::conclude(Active& a, std::optional<FailureKind> aborted, CURLcode result,
                            const std::string& multi_error) {
  TokenRecorder& recorder = a.job->recorder();
  recorder.finish();
  Response& response = recorder.response();
  const Transfer& t = a.t;
  const std::string& url = a.url;
  response.t_last_byte_ns = t.t_last_byte_ns != 0 ? t.t_last_byte_ns : clock_.now_ns();
  std::optional<double> retry_after_s;
  if (curl_off_t ra = 0; curl_easy_getinfo(a.easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) {
    retry_after_s = static_cast<double>(ra);
  }
  auto fail = [&](FailureKind kind, std::string message, int status = 0) -> Result {
    spdlog::debug("inference: {} failure: {}", to_string(kind), message);
    Failure f{kind, std::move(message), status, std::move(response), clock_.now_ns(), retry_after_s};
    return unexpected(std::move(f));
  };
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
  const std::string curl_detail = a.curl_error[0] != '\0' ? a.curl_error : curl_easy_strerror(result);
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
    default: {
      if (status != 0 && !is_2xx(status)) break;  // reported below with its body
      Result r = fail(FailureKind::protocol,
                      fmt::format("transfer from {} failed after {} bytes: {}", url, t.body_bytes, curl_detail));
      r.error().no_reply = status == 0 && t.body_bytes == 0 &&
                           (result == CURLE_GOT_NOTHING || result == CURLE_RECV_ERROR || result == CURLE_SEND_ERROR);
      return r;
    }
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
    end_error = a.job->decoder().on_end(response.t_last_byte_ns);
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
