// Findings into words: the explanation sentence in the reader's language (from the
// catalogue) and the Wireshark display filter that shows the finding's frames.
#pragma once

#include "packetmancer/diagnosis/catalogue.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <fmt/args.h>
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace packetmancer::diagnosis {

// The conversation a finding belongs to, as far as words and filters need it.
struct FindingContext {
    std::uint32_t stream = 0;
    net::Endpoint client{};
    net::Endpoint server{};
};

namespace detail_render {
// The finding's numbers as named format arguments ({retransmissions}, {closed_ms}, ...).
inline void push_numbers(fmt::dynamic_format_arg_store<fmt::format_context>& args, const Finding& f) {
    for (std::size_t i = 0; i < f.number_count; ++i) args.push_back(fmt::arg(f.numbers[i].name.data(), f.numbers[i].value));
}
} // namespace detail_render

// The finding's sentence, its numbers and endpoints filled in; for a directional finding
// {sender} and {receiver} are the two ends in its direction. A template that does not
// fit its numbers (a catalogue bug) yields the id rather than an exception.
[[nodiscard]] inline std::string explain(const Finding& f, const FindingContext& where, Language language) {
    const CatalogueEntry& e = entry(f.id);
    const bool reverse = f.direction == 1;
    const std::string client = where.client.to_string();
    const std::string server = where.server.to_string();
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    args.push_back(fmt::arg("client", client));
    args.push_back(fmt::arg("server", server));
    args.push_back(fmt::arg("sender", reverse ? server : client));
    args.push_back(fmt::arg("receiver", reverse ? client : server));
    detail_render::push_numbers(args, f);
    std::string text;
    try {
        text = fmt::vformat(e.text[static_cast<std::size_t>(language)], args);
    } catch (const fmt::format_error&) {
        text = std::string(e.key);
    }
    if (f.explained_by) {
        text += ' ';
        fmt::dynamic_format_arg_store<fmt::format_context> why;
        why.push_back(fmt::arg("id", finding_key(*f.explained_by)));
        text += '(' + fmt::vformat(phrase(Phrase::explained_by, language), why) + ')';
    }
    return text;
}

// "tcp.stream eq 7 && tcp.srcport eq 443 && tcp.analysis.retransmission"
[[nodiscard]] inline std::string display_filter(const Finding& f, const FindingContext& where) {
    const CatalogueEntry& e = entry(f.id);
    std::string filter = fmt::format("tcp.stream eq {}", where.stream);
    if (e.filter_by_sender && f.direction >= 0)
        filter += fmt::format(" && tcp.srcport eq {}", f.direction == 1 ? where.server.port : where.client.port);
    if (!e.filter.empty()) {
        // Filters may name the finding's numbers ("tcp.len > {mss:.0f}").
        fmt::dynamic_format_arg_store<fmt::format_context> args;
        detail_render::push_numbers(args, f);
        std::string terms;
        try {
            terms = fmt::vformat(e.filter, args);
        } catch (const fmt::format_error&) {
            terms = std::string(e.filter);
        }
        const bool alternatives = terms.find("||") != std::string::npos;
        filter += alternatives ? fmt::format(" && ({})", terms) : fmt::format(" && {}", terms);
    }
    return filter;
}

} // namespace packetmancer::diagnosis
