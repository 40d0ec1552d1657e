// A finding: one thing wrong (or worth knowing) about a conversation, with a stable id,
// a severity, the side held responsible, the numbers behind it and the first frames that
// show it. Findings hold numbers, not sentences: the sentence is written at report time
// from the catalogue (diagnosis/catalogue.hpp) in the reader's language.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace packetmancer::diagnosis {

// Ordered: a conversation's severity is the highest of its findings'.
enum class Severity : std::uint8_t { ok, low, medium, high };

[[nodiscard]] constexpr std::string_view severity_name(Severity s) noexcept {
    switch (s) {
    case Severity::ok: return "ok";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    }
    return "ok";
}

[[nodiscard]] constexpr std::optional<Severity> parse_severity(std::string_view text) noexcept {
    for (auto s : {Severity::ok, Severity::low, Severity::medium, Severity::high})
        if (severity_name(s) == text) return s;
    return std::nullopt;
}

// How sure the explanation is. The frames are facts; what they mean is inferred, and
// less surely when the capture itself is in doubt or the figure rests on one sample.
enum class Confidence : std::uint8_t { low, medium, high };

[[nodiscard]] constexpr std::string_view confidence_name(Confidence c) noexcept {
    switch (c) {
    case Confidence::low: return "low";
    case Confidence::medium: return "medium";
    case Confidence::high: return "high";
    }
    return "low";
}

// Who is held responsible: an endpoint, the network between them, or the capture itself
// (a finding about how the packets were recorded, not about the network).
enum class Side : std::uint8_t { client, server, path, capture };

[[nodiscard]] constexpr std::string_view side_name(Side s) noexcept {
    switch (s) {
    case Side::client: return "client";
    case Side::server: return "server";
    case Side::path: return "path";
    case Side::capture: return "capture";
    }
    return "path";
}

// Every finding PacketMancer reports. The JSON id of each is in the catalogue and never
// changes once released; new findings are added at the end.
enum class FindingId : std::uint8_t {
    handshake_refused,       // tcp.handshake.refused
    handshake_no_answer,     // tcp.handshake.no_answer
    handshake_abandoned,     // tcp.handshake.abandoned
    reset_by_server,         // tcp.reset.by_server
    reset_by_client,         // tcp.reset.by_client
    half_open,               // tcp.connection.half_open
    loss_retransmissions,    // tcp.loss.retransmissions
    loss_spurious,           // tcp.loss.spurious_retransmissions
    duplicate_acks,          // tcp.loss.duplicate_acks
    reordering,              // tcp.path.reordering
    receiver_zero_window,    // tcp.receiver.zero_window
    receiver_window_full,    // tcp.receiver.window_full
    latency_handshake,       // tcp.latency.handshake
    latency_server,          // tcp.latency.server_response
    latency_client,          // tcp.latency.client_delay
    capture_drops,           // capture.drops
    capture_duplicates,      // capture.duplicates
    capture_one_sided,       // capture.one_sided
    capture_snaplen,         // capture.snaplen
    capture_super_segments,  // capture.super_segments
    capture_time_backwards,  // capture.time_backwards
    capture_started_before,  // capture.started_before
    connection_lost,         // tcp.connection.lost
    capture_ended,                  // capture.ended
    capture_closed_at_limit,        // capture.closed_at_limit
    capture_continued_after_limit,  // capture.continued_after_limit
};
inline constexpr std::size_t finding_id_count = 26;

// A named number behind a finding ("retransmissions": 12, "rate_percent": 3.4).
struct FindingNumber {
    std::string_view name;
    double value = 0;
};

struct Finding {
    static constexpr std::size_t max_numbers = 8;
    static constexpr std::size_t max_evidence = 3;

    FindingId id{};
    Severity severity = Severity::ok;
    Side side = Side::path;
    Confidence confidence = Confidence::high;
    // The direction the finding is about: 0 client to server, 1 server to client, -1 both.
    std::int8_t direction = -1;
    // A capture-quality finding that explains this one; its severity was lowered for it.
    std::optional<FindingId> explained_by;
    std::array<FindingNumber, max_numbers> numbers{};
    std::uint8_t number_count = 0;
    std::array<std::uint64_t, max_evidence> evidence{};  // frame numbers, ascending
    std::uint8_t evidence_count = 0;

    Finding& number(std::string_view name, double value) noexcept {
        if (number_count < max_numbers) numbers[number_count++] = {name, value};
        return *this;
    }
    [[nodiscard]] double number_or(std::string_view name, double fallback = 0) const noexcept {
        for (std::size_t i = 0; i < number_count; ++i)
            if (numbers[i].name == name) return numbers[i].value;
        return fallback;
    }
    Finding& frame(std::uint64_t number) noexcept {
        if (number == 0) return *this;
        for (std::size_t i = 0; i < evidence_count; ++i)
            if (evidence[i] == number) return *this;
        if (evidence_count < max_evidence) {
            evidence[evidence_count++] = number;
        } else if (number < evidence[max_evidence - 1]) {
            evidence[max_evidence - 1] = number;
        } else {
            return *this;
        }
        for (std::size_t i = evidence_count - 1; i > 0 && evidence[i] < evidence[i - 1]; --i)
            std::swap(evidence[i], evidence[i - 1]);
        return *this;
    }
};

} // namespace packetmancer::diagnosis
