// Findings into words: the explanation sentence in the reader's language (from the
// catalogue) and the Wireshark display filter that shows the finding's frames.
#pragma once

#include "packetmancer/diagnosis/catalogue.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace packetmancer::diagnosis {

// The conversation a finding belongs to, as far as words and filters need it.
struct FindingContext {
    std::uint32_t stream = 0;
    net::Endpoint client{};
    net::Endpoint server{};
};

namespace detail_render {
// `text` formatted with `named` and the finding's first N numbers ({retransmissions},
// {closed_ms}, ...) as named arguments. The arguments live on the stack: fmt's dynamic
// argument store copied each name and string to the heap, a dozen allocations per
// finding, and a report explains a finding for most conversations.
template <std::size_t... I, class... Named>
std::string format_numbers(std::string_view text, const Finding& f, std::index_sequence<I...>, const Named&... named) {
    return fmt::vformat(text, fmt::make_format_args(named..., fmt::arg(f.numbers[I].name.data(), f.numbers[I].value)...));
}

template <class... Named>
std::string format_finding(std::string_view text, const Finding& f, const Named&... named) {
    static_assert(Finding::max_numbers == 8, "format_finding dispatches 0 to 8 numbers: extend its switch");
    switch (f.number_count) {
    case 0: return format_numbers(text, f, std::make_index_sequence<0>{}, named...);
    case 1: return format_numbers(text, f, std::make_index_sequence<1>{}, named...);
    case 2: return format_numbers(text, f, std::make_index_sequence<2>{}, named...);
    case 3: return format_numbers(text, f, std::make_index_sequence<3>{}, named...);
    case 4: return format_numbers(text, f, std::make_index_sequence<4>{}, named...);
    case 5: return format_numbers(text, f, std::make_index_sequence<5>{}, named...);
    case 6: return format_numbers(text, f, std::make_index_sequence<6>{}, named...);
    case 7: return format_numbers(text, f, std::make_index_sequence<7>{}, named...);
    default: return format_numbers(text, f, std::make_index_sequence<8>{}, named...);
    }
}
} // namespace detail_render

// The finding's sentence, its numbers and endpoints filled in; for a directional finding
// {sender} and {receiver} are the two ends in its direction. A template that does not
// fit its numbers (a catalogue bug) yields the id rather than an exception.
[[nodiscard]] inline std::string explain(const Finding& f, const FindingContext& where, Language language) {
    const CatalogueEntry& e = entry(f.id);
    const bool reverse = f.direction == 1;
    char client_text[net::Endpoint::max_text_length];
    char server_text[net::Endpoint::max_text_length];
    const std::string_view client(client_text, static_cast<std::size_t>(where.client.write_text(client_text) - client_text));
    const std::string_view server(server_text, static_cast<std::size_t>(where.server.write_text(server_text) - server_text));
    std::string text;
    try {
        text = detail_render::format_finding(e.text[static_cast<std::size_t>(language)], f, fmt::arg("client", client),
                                             fmt::arg("server", server), fmt::arg("sender", reverse ? server : client),
                                             fmt::arg("receiver", reverse ? client : server));
    } catch (const fmt::format_error&) {
        text = std::string(e.key);
    }
    if (f.explained_by) {
        text += " (";
        text += fmt::vformat(phrase(Phrase::explained_by, language),
                             fmt::make_format_args(fmt::arg("id", finding_key(*f.explained_by))));
        text += ')';
    }
    return text;
}

// "tcp.stream eq 7 && tcp.srcport eq 443 && tcp.analysis.retransmission"
[[nodiscard]] inline std::string display_filter(const Finding& f, const FindingContext& where) {
    const CatalogueEntry& e = entry(f.id);
    const auto append_number = [](std::string& out, std::uint32_t n) {
        char digits[10];
        out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
    };
    std::string filter;
    filter.reserve(96);
    filter += "tcp.stream eq ";
    append_number(filter, where.stream);
    if (e.filter_by_sender && f.direction >= 0) {
        filter += " && tcp.srcport eq ";
        append_number(filter, f.direction == 1 ? where.server.port : where.client.port);
    }
    if (!e.filter.empty()) {
        // Filters may name the finding's numbers ("tcp.len > {mss:.0f}"); one without
        // braces is its own text.
        std::string formatted;
        std::string_view terms = e.filter;
        if (terms.find('{') != std::string_view::npos || terms.find('}') != std::string_view::npos) {
            try {
                formatted = detail_render::format_finding(e.filter, f);
            } catch (const fmt::format_error&) {
                formatted = std::string(e.filter);
            }
            terms = formatted;
        }
        const bool alternatives = terms.find("||") != std::string_view::npos;
        filter += alternatives ? " && (" : " && ";
        filter += terms;
        if (alternatives) filter += ')';
    }
    return filter;
}

} // namespace packetmancer::diagnosis
