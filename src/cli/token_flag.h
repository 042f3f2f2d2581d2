#pragma once
// The bearer token of ipw's servers (`ipw monitor`, `ipw proxy`): from --token, else
// the first line of --token-file, else the environment variable. It never needs to be
// on the command line, where `ps` shows it.
#include <string>

namespace ipw::cli {

// Throws ipw::UsageError for an unreadable or empty --token-file.
std::string read_token(const std::string& flag, const std::string& file, const char* env);

}  // namespace ipw::cli
