// The one table of inference clients: a new API is one file plus one line here.
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/redact.h"
#include "ipw/common/text.h"
#include "ipw/common/usage_error.h"
#include "ipw/inference/client.h"
#include "ipw/inference/client_factories.h"

namespace ipw::inference {

namespace {

using Factory = std::unique_ptr<Client> (*)(const ClientOptions&, const Clock&);

struct Entry {
  const char* name;
  const char* description;
  Factory make;
  nlohmann::json (*body)(const Request&);
};

constexpr Entry kClients[] = {
    {"openai", "OpenAI-compatible server (vLLM, llama.cpp, SGLang, LM Studio, TGI), SSE streaming",
     &make_openai_client, &openai_request_body},
    {"ollama", "Ollama's native API (/api/chat, /api/generate), NDJSON streaming",
     &make_ollama_client, &ollama_request_body},
};

const Entry& entry(const std::string& api) {
  for (const Entry& e : kClients) {
    if (api == e.name) return e;
  }
  throw UsageError(
      fmt::format("unknown api '{}' (known: {})", api, fmt::join(client_names(), ", ")));
}

}  // namespace

std::unique_ptr<Client> make_client(const std::string& api, const ClientOptions& opts,
                                    const Clock& clock) {
  return entry(api).make(opts, clock);
}

nlohmann::json request_body(const std::string& api, const Request& req) { return entry(api).body(req); }

std::vector<std::string> client_names() {
  std::vector<std::string> names;
  for (const Entry& e : kClients) names.emplace_back(e.name);
  return names;
}

std::vector<ClientInfo> client_infos() {
  std::vector<ClientInfo> infos;
  for (const Entry& e : kClients) infos.push_back({e.name, e.description});
  return infos;
}

std::string normalise_base_url(std::string base_url) {
  const std::string scheme = ascii_lower(base_url.substr(0, base_url.find("://")));
  if (base_url.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
    throw UsageError(fmt::format(
        "server URL '{}' is not an http:// or https:// URL (e.g. http://127.0.0.1:8080; ipw talks HTTP to "
        "OpenAI-compatible and Ollama servers)",
        redact_url(base_url)));
  }
  while (base_url.ends_with('/')) base_url.pop_back();
  return base_url;
}

// Stored ids: these strings end up in run stores, so they never change.
constexpr struct {
  FailureKind kind;
  const char* name;
} kFailureNames[] = {
    {FailureKind::connect, "connect"},
    {FailureKind::timeout_connect, "timeout_connect"},
    {FailureKind::timeout_first_token, "timeout_first_token"},
    {FailureKind::timeout_total, "timeout_total"},
    {FailureKind::http_status, "http_status"},
    {FailureKind::protocol, "protocol"},
    {FailureKind::cancelled, "cancelled"},
};

const char* to_string(FailureKind k) {
  for (const auto& f : kFailureNames) {
    if (f.kind == k) return f.name;
  }
  return "unknown";
}

std::optional<FailureKind> failure_kind_from_string(std::string_view name) {
  for (const auto& f : kFailureNames) {
    if (name == f.name) return f.kind;
  }
  return std::nullopt;
}

bool is_timeout(FailureKind k) {
  return k == FailureKind::timeout_connect || k == FailureKind::timeout_first_token ||
         k == FailureKind::timeout_total;
}

}  // namespace ipw::inference
