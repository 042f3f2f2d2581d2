#include "ipw/inference/http_streamer.h"

#include <curl/curl.h>

#include <mutex>
#include <optional>
#include <stdexcept>

#include "ipw/inference/stream_loop.h"

namespace ipw::inference {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl: curl_global_init failed");
    }
  });
}

}  // namespace

HttpStreamer::HttpStreamer(ClientOptions opts, const Clock& clock)
    : opts_(std::move(opts)), clock_(clock) {
  global_init_once();
}

HttpStreamer::~HttpStreamer() = default;

std::unique_ptr<StreamLoop> HttpStreamer::acquire() {
  std::unique_ptr<StreamLoop> loop;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      loop = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!loop) loop = std::make_unique<StreamLoop>(opts_, clock_, cancelled_);
  std::lock_guard lock(mu_);
  active_.push_back(loop.get());
  return loop;
}

void HttpStreamer::release(std::unique_ptr<StreamLoop> loop) {
  std::lock_guard lock(mu_);
  std::erase(active_, loop.get());
  idle_.push_back(std::move(loop));
}

void HttpStreamer::cancel() {
  cancelled_.store(true);
  std::lock_guard lock(mu_);
  for (StreamLoop* l : active_) l->wake();
}

Result HttpStreamer::post(const HttpPost& post, StreamJob& job) {
  std::unique_ptr<StreamLoop> loop = acquire();
  std::optional<Result> out;
  loop->start(post, job, nullptr, [&out](Result r) { out.emplace(std::move(r)); });
  while (!out) loop->poll(kMaxPollWaitNs);
  release(std::move(loop));
  return std::move(*out);
}

void HttpStreamer::start(HttpPost post, std::unique_ptr<StreamJob> job, DoneCallback done) {
  if (!async_) {
    async_ = std::make_unique<StreamLoop>(opts_, clock_, cancelled_);
    std::lock_guard lock(mu_);
    active_.push_back(async_.get());
  }
  StreamJob& j = *job;
  async_->start(std::move(post), j, std::move(job), std::move(done));
}

std::size_t HttpStreamer::poll(std::int64_t wait_ns) { return async_ ? async_->poll(wait_ns) : 0; }

}  // namespace ipw::inference
