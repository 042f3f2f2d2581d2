#pragma once
// Internal: the factories client_registry.cpp maps names to. Callers use make_client().
#include <memory>

#include "ipw/common/clock.h"
#include "ipw/inference/client.h"

namespace ipw::inference {

std::unique_ptr<Client> make_openai_client(const ClientOptions& opts, const Clock& clock);
std::unique_ptr<Client> make_ollama_client(const ClientOptions& opts, const Clock& clock);
// The body each client sends (request_body() picks one by api name).
nlohmann::json openai_request_body(const Request& req);
nlohmann::json ollama_request_body(const Request& req);

}  // namespace ipw::inference
