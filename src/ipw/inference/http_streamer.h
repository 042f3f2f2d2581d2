#pragma once
// Internal to the inference clients: one streaming HTTP POST on libcurl, with the
// timing and failure rules both protocols share. The protocol-specific part (SSE or
// NDJSON, which fields are tokens) is a StreamDecoder the client passes in.
//
// Why the multi interface and not curl_easy_perform: a blocking perform only calls
// back about once a second while the server is silent, so neither cancel() nor a
// first-token timeout could act promptly. Our own poll loop wakes every few ms (and at
// once on cancel via curl_multi_wakeup) and tells the three timeouts apart.
#include <atomic>
#include <cstdint>
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

struct HttpPost {
  std::string url;     // full URL, e.g. http://host:8080/v1/chat/completions
  std::string body;    // JSON request body
  std::string accept;  // Accept header value
};

class HttpStreamer {
 public:
  HttpStreamer(ClientOptions opts, const Clock& clock);
  ~HttpStreamer();
  HttpStreamer(const HttpStreamer&) = delete;
  HttpStreamer& operator=(const HttpStreamer&) = delete;

  // Sends the POST and streams the body into decoder; recorder holds the Response
  // being built. Stamps t_send_ns (just before the transfer starts) and t_last_byte_ns.
  // Safe to call from several threads at once (each call uses its own handles).
  Result post(const HttpPost& post, StreamDecoder& decoder, TokenRecorder& recorder);

  void cancel();  // see Client::cancel()

 private:
  struct Slot;  // a curl multi + easy handle pair, reused so connections are kept alive
  std::unique_ptr<Slot> acquire();
  void release(std::unique_ptr<Slot> slot);

  ClientOptions opts_;
  const Clock& clock_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::vector<std::unique_ptr<Slot>> idle_;  // guarded by mu_
  std::vector<Slot*> active_;                // guarded by mu_; woken by cancel()
};

}  // namespace ipw::inference
