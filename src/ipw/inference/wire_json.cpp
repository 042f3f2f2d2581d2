#include "ipw/inference/wire_json.h"

#include <stdexcept>

#include <fmt/format.h>

#include "ipw/common/utf8.h"

namespace ipw::inference {

std::string wire_excerpt(std::string_view s) { return excerpt(s, kWireExcerptChars); }

std::string string_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) {
    throw std::runtime_error(fmt::format("field `{}` is not a string: {}", key, wire_excerpt(it->dump())));
  }
  return it->get<std::string>();
}

}  // namespace ipw::inference
