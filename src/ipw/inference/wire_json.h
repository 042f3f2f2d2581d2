#pragma once
// Reading the JSON a server streams (both clients): fields that must have a type or
// be absent, and the excerpt of a reply an error message quotes.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipw::inference {

// How much of a server's reply an error message quotes.
inline constexpr std::size_t kWireExcerptChars = 200;
std::string wire_excerpt(std::string_view s);

// A string field, or "" when absent or null; any other type throws std::runtime_error
// naming the field (a protocol error).
std::string string_field(const nlohmann::json& obj, const char* key);

// Merges extra (an object, or null for none) into body at the top level. A key body
// already has is replaced only with `override`; otherwise throws ipw::UsageError
// naming every such key.
void merge_extra_body(nlohmann::json& body, const nlohmann::json& extra, bool override);

}  // namespace ipw::inference
