#pragma once
// Small non-streaming HTTP calls: the launcher's own to the server it started (/health, /props,
// /v1/models, the warm-up completion) and the reference scorer's (/tokenize, one scored
// completion). Profiling traffic goes through the streaming Client interface, not through this.
#include <string>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::inference {

struct HttpReply {
  long status = 0;
  std::string body;
};

// method is "GET" or "POST" (POST sends `json_body` as application/json). The error string says
// what failed and for which URL; a non-2xx status is a reply, not an error. A non-empty
// `bearer_token` is sent as `Authorization: Bearer ...` (and never appears in messages);
// `headers` ("Name: value") are sent as they are.
Expected<HttpReply, std::string> engine_http(const std::string& method, const std::string& url,
                                             const std::string& json_body, double timeout_s,
                                             const std::string& bearer_token = {},
                                             const std::vector<std::string>& headers = {});

}  // namespace ipw::inference
