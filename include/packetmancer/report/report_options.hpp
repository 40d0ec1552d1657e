// What a report writer hands a detector's report hooks: how many entries top lists
// hold, and, for the console, how to style text. Detectors that write their own section
// of a report take these (see the report hooks in detector.hpp).
#pragma once

#include "packetmancer/diagnosis/catalogue.hpp"

#include <cstddef>
#include <string>

#include <fmt/format.h>

namespace packetmancer::report {

struct ReportOptions {
    std::size_t top = 5;  // entries in top lists (conversations, names, servers)
    diagnosis::Language language = diagnosis::Language::en;  // of explanations; JSON keys and ids stay English
};

// Console styling. Colour is the caller's choice (only on a terminal, never with
// NO_COLOR); the text is the same either way.
struct TextStyle {
    bool colour = false;
    [[nodiscard]] std::string bold(const std::string& s) const { return paint("1", s); }
    [[nodiscard]] std::string bad(const std::string& s) const { return paint("31", s); }
    [[nodiscard]] std::string good(const std::string& s) const { return paint("32", s); }
    [[nodiscard]] std::string dim(const std::string& s) const { return paint("2", s); }

private:
    [[nodiscard]] std::string paint(const char* sgr, const std::string& s) const {
        return colour ? fmt::format("\x1b[{}m{}\x1b[0m", sgr, s) : s;
    }
};

// Everything a detector's `report_text` hook may use besides the text it appends to.
struct TextContext {
    const TextStyle& style;
    const ReportOptions& options;
};

} // namespace packetmancer::report
