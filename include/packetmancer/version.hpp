// The library's version, for reports and `--version`.
#pragma once

#include <string_view>

namespace packetmancer {

inline constexpr std::string_view version = "0.1.0";

} // namespace packetmancer
