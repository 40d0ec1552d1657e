// What a capture reader says after each attempt to read a record.
#pragma once

#include <cstdint>

namespace packetmancer::io {

enum class ReadStatus : std::uint8_t {
    frame,    // a record was read
    end,      // the capture ended cleanly
    damaged,  // the capture is cut off or corrupt here; the reader's error() says how
};

} // namespace packetmancer::io
