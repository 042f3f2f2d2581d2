#pragma once
// Internal to the inference clients: streaming HTTP POSTs on libcurl's multi
// interface, with the timing and failure rules both protocols share. The
// protocol-specific part (SSE or NDJSON, which fields are tokens) is a
// StreamDecoder the client passes in.
//
// One event loop drives every transfer in flight (StreamLoop: one curl multi
// handle), so 1,024 concurrent streams cost one thread, not 1,024. Why the multi
// interface even for one request: a blocking curl_easy_perform only calls back
// about once a second while the server is silent, so neither cancel() nor a
// first-token timeout could act promptly. The loop wakes at the nearest deadline
// (and at once on cancel via curl_multi_wakeup) and tells the three timeouts apart.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ipw/common/clock.h"
#include "ipw/inference/client.h"
#include "ipw/inference/token_recorder.h"

namespace ipw::inference {

class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Bytes of a 2xx body as they arrive (t_ns: their arrival). A non-empty return is a
  // protocol error: the transfer is aborted and the text becomes the failure message.
  virtual std::string on_bytes(std::string_view bytes, std::int64_t t_ns) = 0;
  // The body ended; a non-empty return says why the stream is incomplete or wrong.
  virtual std::string on_end(std::int64_t t_ns) = 0;
};

// What one request needs while in flight: the decoder and the recorder it fills.
// Owned by the loop until the request ends.
class StreamJob {
 public:
  virtual ~StreamJob() = default;
  virtual StreamDecoder& decoder() = 0;
  virtual TokenRecorder& recorder() = 0;
};

// A job whose decoder is Decoder(recorder, args...).
template <class Decoder>
class DecodingJob final : public StreamJob {
 public:
  template <class... Args>
  explicit DecodingJob(TokenCallback on_token, Args&&... args)
      : recorder_(std::move(on_token)), decoder_(recorder_, std::forward<Args>(args)...) {}
  StreamDecoder& decoder() override { return decoder_; }
  TokenRecorder& recorder() override { return recorder_; }

 private:
  TokenRecorder recorder_;
  Decoder decoder_;
};

struct HttpPost {
  std::string url;     // full URL, e.g. http://host:8080/v1/chat/completions
  std::string body;    // JSON request body
  std::string accept;  // Accept header value
};

class StreamLoop;

class HttpStreamer {
 public:
  HttpStreamer(ClientOptions opts, const Clock& clock);
  ~HttpStreamer();
  HttpStreamer(const HttpStreamer&) = delete;
  HttpStreamer& operator=(const HttpStreamer&) = delete;

  // Blocking: sends the POST and streams the body into the job's decoder. Stamps
  // t_send_ns (just before the transfer starts) and t_last_byte_ns. Safe to call
  // from several threads at once (each call drives a loop of its own).
  Result post(const HttpPost& post, StreamJob& job);

  // Asynchronous: queues the POST on this streamer's own loop and returns at once;
  // `done` runs inside a later poll() when it ends. start() and poll() are for one
  // thread (the caller's event loop).
  void start(HttpPost post, std::unique_ptr<StreamJob> job, DoneCallback done);
  // Drives the started requests for up to wait_ns, returning early once at least one
  // has ended (its callback has run). Returns how many are still in flight.
  std::size_t poll(std::int64_t wait_ns);

  void cancel();  // see Client::cancel()

 private:
  std::unique_ptr<StreamLoop> acquire();
  void release(std::unique_ptr<StreamLoop> loop);

  ClientOptions opts_;
  const Clock& clock_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::vector<std::unique_ptr<StreamLoop>> idle_;  // guarded by mu_; kept for their connections
  std::vector<StreamLoop*> active_;                // guarded by mu_; woken by cancel()
  std::unique_ptr<StreamLoop> async_;              // start()/poll()'s loop
};

}  // namespace ipw::inference
