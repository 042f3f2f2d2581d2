#pragma once
// The shape both streaming clients share: one HttpStreamer, each request sent as an
// HTTP POST, and a Decoder per stream that turns the body's bytes into tokens. A
// client is its decoder plus http_post() (openai_client.cpp, ollama_client.cpp).
#include <memory>
#include <utility>

#include "ipw/inference/client.h"
#include "ipw/inference/http_streamer.h"

namespace ipw::inference {

// Decoder is constructed as Decoder(TokenRecorder&, bool chat).
template <class Decoder>
class StreamingClient : public Client {
 public:
  StreamingClient(const ClientOptions& opts, const Clock& clock) : http_(opts, clock) {}

  Result complete(const Request& req, const TokenCallback& on_token) override {
    DecodingJob<Decoder> job(on_token, req.chat);
    return http_.post(http_post(req), job);
  }

  void start(const Request& req, DoneCallback done) override {
    http_.start(http_post(req), std::make_unique<DecodingJob<Decoder>>(TokenCallback{}, req.chat), std::move(done));
  }

  std::size_t poll(std::int64_t wait_ns) override { return http_.poll(wait_ns); }

  void cancel() override { http_.cancel(); }

 protected:
  virtual HttpPost http_post(const Request& req) const = 0;

 private:
  HttpStreamer http_;
};

}  // namespace ipw::inference
