#pragma once
#include <string>
#include <string_view>

namespace ipw::workload {

// Lower-case hex SHA-256 of the bytes (the workload's identity in the manifest).
std::string sha256_hex(std::string_view bytes);

}  // namespace ipw::workload
