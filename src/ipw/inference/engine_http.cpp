#include "ipw/inference/engine_http.h"

#include <curl/curl.h>
#include <fmt/format.h>

namespace ipw::inference {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

Expected<HttpReply, std::string> engine_http(const std::string& method, const std::string& url,
                                             const std::string& json_body, double timeout_s,
                                             const std::string& bearer_token,
                                             const std::vector<std::string>& extra_headers) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return unexpected(std::string("curl_easy_init failed"));
  HttpReply reply;
  curl_slist* headers = nullptr;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM tricks: we may run beside other threads
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // the engine is on loopback; a proxy must not intercept
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000.0));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  if (!bearer_token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + bearer_token).c_str());
  }
  for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
  }
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return unexpected(fmt::format("{} {}: {}", method, url, curl_easy_strerror(rc)));
  return reply;
}

}  // namespace ipw::inference
