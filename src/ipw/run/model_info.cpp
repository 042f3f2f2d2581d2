#include "ipw/run/model_info.h"

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/usage_error.h"

namespace ipw::run {

std::optional<double> parse_parameters(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string suffix = text.substr(used);
  double scale = 1;
  if (suffix == "B" || suffix == "b") {
    scale = 1e9;
  } else if (suffix == "M" || suffix == "m") {
    scale = 1e6;
  } else if (suffix == "T" || suffix == "t") {
    scale = 1e12;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  if (!(v > 0)) return std::nullopt;
  return v * scale;
}

namespace {

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

nlohmann::json model_info_from_flags(const std::vector<std::string>& assignments) {
  nlohmann::json info = nlohmann::json::object();
  for (const std::string& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size()) {
      throw UsageError(
          fmt::format("--model-info '{}': expected KEY=VALUE (e.g. parameters=8B, release_date=2025-04-29)", a));
    }
    const std::string key = a.substr(0, eq), value = a.substr(eq + 1);
    if (key == "parameters") {
      const auto n = parse_parameters(value);
      if (!n) throw UsageError(fmt::format("--model-info parameters={}: not a parameter count (e.g. 8B, 1.5B, 350M, 7e9)", value));
      info[key] = *n;
    } else if (key == "release_date") {
      if (!is_date(value)) throw UsageError(fmt::format("--model-info release_date={}: not a YYYY-MM-DD date", value));
      info[key] = value;
    } else {
      info[key] = value;
    }
  }
  return info;
}

nlohmann::json model_info_with_gguf(nlohmann::json given, const nlohmann::json& gguf) {
  nlohmann::json info = nlohmann::json::object();
  const auto take = [&](const char* key, const char* from) {
    const auto it = gguf.find(from);
    if (it == gguf.end()) return;
    const bool empty = it->is_string() ? it->get<std::string>().empty() : it->is_number() && it->get<double>() <= 0;
    if (!it->is_null() && !empty) info[key] = *it;
  };
  take("parameters", "parameter_count");
  take("architecture", "architecture");
  take("quantization", "file_type");
  take("context_length", "context_length");
  if (info.contains("parameters")) info["parameters_source"] = "gguf";
  for (auto it = given.begin(); it != given.end(); ++it) {
    info[it.key()] = it.value();
    if (it.key() == "parameters") info["parameters_source"] = "--model-info";
  }
  return info;
}

}  // namespace ipw::run
