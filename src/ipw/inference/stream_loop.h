#pragma once
// Internal to HttpStreamer (http_streamer.h): one curl multi handle and the transfers
// it drives, on epoll, with an eventfd so another thread can wake it (cancel()).
#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/inference/http_streamer.h"

namespace ipw::inference {

// Upper bound on one poll wait. Deadlines are normally hit exactly (the wait is cut to
// the nearest one) and cancel() wakes the poll at once; the bound only matters when
// the injected clock is not the real one.
inline constexpr std::int64_t kMaxPollWaitNs = 100'000'000;

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
  curl_socket_t sock = CURL_SOCKET_BAD;  // the socket libcurl watches for it, if any
  // The loop's list of transfers that received bytes during one of libcurl's timer
  // actions (null outside them): their sockets are acknowledged after it.
  std::vector<Transfer*>** timer_reads = nullptr;
};

// One curl multi handle and the transfers it drives. Not thread-safe except wake().
class StreamLoop {
 public:
  StreamLoop(const ClientOptions& opts, const Clock& clock, const std::atomic<bool>& cancelled)
      : opts_(opts),
        clock_(clock),
        cancelled_(cancelled),
        multi_(curl_multi_init()),
        epoll_(epoll_create1(EPOLL_CLOEXEC)),
        wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (multi_ == nullptr || epoll_ < 0 || wake_ < 0) {
      cleanup();
      throw std::runtime_error("libcurl: cannot create an event loop (multi handle, epoll, eventfd)");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    // Many streams to one server: as many connections as streams, no pipelining.
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 4096L);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &StreamLoop::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &StreamLoop::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }
  ~StreamLoop() {
    for (auto& a : active_) {
      curl_multi_remove_handle(multi_, a->easy);
      curl_easy_cleanup(a->easy);
      curl_slist_free_all(a->headers);
    }
    for (CURL* e : idle_easy_) curl_easy_cleanup(e);
    cleanup();
  }
  StreamLoop(const StreamLoop&) = delete;
  StreamLoop& operator=(const StreamLoop&) = delete;

  // `job` is used until `done` runs; `owned`, when set, is the same job, freed then.
  void start(HttpPost post, StreamJob& job, std::unique_ptr<StreamJob> owned, DoneCallback done);
  std::size_t poll(std::int64_t wait_ns);
  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(wake_, &one, sizeof one);  // a full counter is awake anyway
  }
  std::size_t in_flight() const { return active_.size() + ready_.size(); }

 private:
  // libcurl asks to watch a socket (or stop): mirrored into epoll, and noted on the
  // transfer it is for (CURLINFO_ACTIVESOCKET names a finished transfer's socket only).
  static int on_socket(CURL* easy, curl_socket_t sock, int what, void* self, void*) {
    auto* loop = static_cast<StreamLoop*>(self);
    Active* a = nullptr;
    if (easy != nullptr && curl_easy_getinfo(easy, CURLINFO_PRIVATE, &a) == CURLE_OK && a != nullptr) {
      a->t.sock = what == CURL_POLL_REMOVE ? CURL_SOCKET_BAD : sock;
    }
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_DEL, sock, nullptr);
      loop->watched_.erase(sock);
      return 0;
    }
    epoll_event ev{};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = sock;
    const bool known = loop->watched_.count(sock) > 0;
    if (epoll_ctl(loop->epoll_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, sock, &ev) != 0 && !known) {
      epoll_ctl(loop->epoll_, EPOLL_CTL_MOD, sock, &ev);  // a socket reused by the kernel
    }
    loop->watched_.insert(sock);
    return 0;
  }
  // libcurl wants to be called again in timeout_ms (-1: no timer).
  static int on_timer(CURLM*, long timeout_ms, void* self) {
    auto* loop = static_cast<StreamLoop*>(self);
    loop->timer_ns_ = timeout_ms < 0 ? 0 : loop->clock_.now_ns() + timeout_ms * 1'000'000;
    loop->timer_set_ = timeout_ms >= 0;
    return 0;
  }
  void cleanup() {
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    if (epoll_ >= 0) close(epoll_);
    if (wake_ >= 0) close(wake_);
    multi_ = nullptr;
    epoll_ = wake_ = -1;
  }
  // Lets libcurl act on `sock` (or its timers), then reads what ended.
  void act(curl_socket_t sock, int events, std::size_t& ended);

  struct Active {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpPost post;
    std::string url;  // redacted, for messages
    StreamJob* job = nullptr;
    std::unique_ptr<StreamJob> owned;
    DoneCallback done;
    Transfer t;
    char curl_error[CURL_ERROR_SIZE] = {};
    std::int64_t first_deadline = 0, total_deadline = 0;
  };
  Result conclude(Active& a, std::optional<FailureKind> aborted, CURLcode result, const std::string& multi_error);
  void finish(Active* a, std::optional<FailureKind> aborted, CURLcode result, const std::string& multi_error);
  CURL* easy_handle();

  const ClientOptions& opts_;
  const Clock& clock_;
  const std::atomic<bool>& cancelled_;
  CURLM* multi_;
  int epoll_ = -1;
  int wake_ = -1;  // an eventfd: wake() from any thread
  std::unordered_set<curl_socket_t> watched_;
  std::int64_t timer_ns_ = 0;
  bool timer_set_ = false;
  std::int64_t next_deadline_ns_ = 0;  // no transfer times out before this (poll())
  std::vector<Transfer*> timer_reads_;  // see Transfer::timer_reads
  std::vector<Transfer*>* in_timer_reads_ = nullptr;
  std::vector<std::unique_ptr<Active>> active_;
  std::vector<CURL*> idle_easy_;
  // Requests that ended before being sent (cancelled): their callbacks run in poll().
  std::vector<std::pair<DoneCallback, Result>> ready_;
  std::vector<std::unique_ptr<StreamJob>> ready_jobs_;
};

}  // namespace ipw::inference
