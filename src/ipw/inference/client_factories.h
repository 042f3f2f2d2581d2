#pragma once
// Internal: the factories client_registry.cpp maps names to. Callers use make_client().
#include <memory>

#include "ipw/common/clock.h"
#include "ipw/inference/client.h"
#include "ipw/inference/http_streamer.h"

namespace ipw::inference {

std::unique_ptr<Client> make_openai_client(const ClientOptions& opts, const Clock& clock);
std::unique_ptr<Client> make_ollama_client(const ClientOptions& opts, const Clock& clock);
// A stream's decoder and recorder, for reading a reply that ipw did not send itself
// (reply_reader.cpp: `ipw proxy`).
std::unique_ptr<StreamJob> make_openai_stream_job(bool chat);
std::unique_ptr<StreamJob> make_ollama_stream_job(bool chat);
// The body each client sends (request_body() picks one by api name).
nlohmann::json openai_request_body(const Request& req);
nlohmann::json ollama_request_body(const Request& req);

}  // namespace ipw::inference
