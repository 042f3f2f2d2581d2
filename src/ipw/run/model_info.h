#pragma once
// What is known about the profiled model (the manifest's `model_info`), which
// `ipw trend` (release_date) and `ipw route` (parameters) read: given by the
// user as `ipw profile --model-info KEY=VALUE`, and for the embedded engine
// read from the GGUF file itself (parameter count, architecture, quantisation,
// context length). A value the user gave wins over one read from the file.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::run {

// Parses a parameter count: "8e9", "8000000000", "8B", "1.5b", "350M", "1T".
std::optional<double> parse_parameters(const std::string& text);

// {key: value} from KEY=VALUE flags: `parameters` becomes a number and
// `release_date` must be YYYY-MM-DD; other keys are kept as text. Throws
// ipw::UsageError naming the flag's bad value (checked before a run exists).
nlohmann::json model_info_from_flags(const std::vector<std::string>& assignments);

// The model_info of a run on the embedded engine: the GGUF facts (the
// `gguf` object of Engine::model_facts) under the user's own values.
nlohmann::json model_info_with_gguf(nlohmann::json given, const nlohmann::json& gguf);

}  // namespace ipw::run
