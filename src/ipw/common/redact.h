#pragma once
// Secrets a user can put in a URL, taken out before anything is printed or
// stored (run directory, logs, messages): ipw keeps the URL it was given only in
// memory, to connect with.
#include <string>
#include <string_view>

namespace ipw {

// The URL with its userinfo (`user:password@`) replaced by `***@`, and the value
// of every query parameter whose name says it holds a secret (api_key, key,
// token, access_token, secret, password, auth, signature, sig, …) by `***`.
std::string redact_url(std::string_view url);
// Free text (a command line, an error message) with every URL in it redacted.
std::string redact_urls(std::string_view text);
// True when redact_url would change the URL: it held a secret that ipw does not store.
bool url_has_secret(std::string_view url);

}  // namespace ipw
