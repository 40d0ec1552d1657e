// Compile-time checks that turn "this type is not a detector" into one readable
// message per missing or mis-declared piece, each spelling out what is expected.
#pragma once

#include "packetmancer/detector.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace packetmancer::detail {

// A member of that name exists, whatever its signature (not overloaded, not a template).
template <class D> concept declares_on_packet = requires { &D::on_packet; };
template <class D> concept declares_on_tcp = requires { &D::on_tcp; };
template <class D> concept declares_on_udp = requires { &D::on_udp; };
template <class D> concept declares_on_conversation_open = requires { &D::on_conversation_open; };
template <class D> concept declares_on_conversation_close = requires { &D::on_conversation_close; };
template <class D> concept declares_on_capture_end = requires { &D::on_capture_end; };
template <class D> concept declares_report_json = requires { &D::report_json; };
template <class D> concept declares_report_text = requires { &D::report_text; };

// The report hooks are callable, but only on a non-const detector: a missing `const`.
template <class D>
concept report_json_needs_const = requires(D& d, report::JsonWriter& w, const report::ReportOptions& o) {
    d.report_json(w, o);
};
template <class D>
concept report_text_needs_const = requires(D& d, std::string& out, const report::TextContext& c) {
    d.report_text(out, c);
};

// A hook of the right name whose signature is wrong already has its own message.
template <class D>
inline constexpr bool has_near_miss =
    (declares_on_packet<D> && !HasOnPacket<D>) || (declares_on_tcp<D> && !HasOnTcp<D>) ||
    (declares_on_udp<D> && !HasOnUdp<D>) || (declares_on_conversation_open<D> && !HasOnConversationOpen<D>) ||
    (declares_on_conversation_close<D> && !HasOnConversationClose<D>) ||
    (declares_on_capture_end<D> && !HasOnCaptureEnd<D>);

// Members whose names are close to a hook's but are not hooks: the engine would never
// call them, silently. C++20 cannot list a class's members, so the usual slips are named
// here: (misnamed, hook).
#define PACKETMANCER_MISNAMED_HOOKS(X)                                                                 \
    X(on_conversation_closed, on_conversation_close) X(on_conversation_end, on_conversation_close)   \
    X(on_connection_close, on_conversation_close) X(on_close, on_conversation_close)                 \
    X(on_conversation_opened, on_conversation_open) X(on_conversation_start, on_conversation_open)   \
    X(on_connection_open, on_conversation_open) X(on_open, on_conversation_open)                     \
    X(on_capture_ended, on_capture_end) X(on_end, on_capture_end) X(on_finish, on_capture_end)       \
    X(on_tcp_segment, on_tcp) X(on_segment, on_tcp) X(on_udp_datagram, on_udp) X(on_datagram, on_udp) \
    X(on_frame, on_packet) X(on_packets, on_packet) X(report_to_json, report_json)                   \
    X(write_json, report_json) X(report_console, report_text) X(write_text, report_text)

#define PACKETMANCER_OR_DECLARES(misnamed, hook) || requires { &D::misnamed; }
template <class D>
concept declares_misnamed_hook = false PACKETMANCER_MISNAMED_HOOKS(PACKETMANCER_OR_DECLARES);
#undef PACKETMANCER_OR_DECLARES

#define PACKETMANCER_NOT_A_HOOK(misnamed, hook)                                                          \
    static_assert(!requires { &D::misnamed; }, "PacketMancer: " #misnamed " is not a hook, so the engine " \
                                               "would never call it: did you mean " #hook "? (hooks: detector.hpp)");
template <class D>
consteval void check_hook_names() {
    PACKETMANCER_MISNAMED_HOOKS(PACKETMANCER_NOT_A_HOOK)
}
#undef PACKETMANCER_NOT_A_HOOK
#undef PACKETMANCER_MISNAMED_HOOKS

template <class D>
consteval bool check_detector() {
    check_hook_names<D>();
    static_assert(NamedDetector<D>,
                  "PacketMancer: a detector needs a name: static constexpr std::string_view name = \"my_detector\";");
    static_assert(!declares_on_packet<D> || HasOnPacket<D>,
                  "PacketMancer: on_packet has the wrong signature; expected: void on_packet(const packetmancer::PacketEvent&)");
    static_assert(!declares_on_tcp<D> || HasOnTcp<D>,
                  "PacketMancer: on_tcp has the wrong signature; expected: void on_tcp(const packetmancer::TcpSegmentEvent&)");
    static_assert(!declares_on_udp<D> || HasOnUdp<D>,
                  "PacketMancer: on_udp has the wrong signature; expected: void on_udp(const packetmancer::UdpDatagramEvent&)");
    static_assert(!declares_on_conversation_open<D> || HasOnConversationOpen<D>,
                  "PacketMancer: on_conversation_open has the wrong signature; expected: "
                  "void on_conversation_open(const packetmancer::flow::Conversation&)");
    static_assert(!declares_on_conversation_close<D> || HasOnConversationClose<D>,
                  "PacketMancer: on_conversation_close has the wrong signature; expected: "
                  "void on_conversation_close(const packetmancer::flow::Conversation&)");
    static_assert(!declares_on_capture_end<D> || HasOnCaptureEnd<D>,
                  "PacketMancer: on_capture_end has the wrong signature; expected: "
                  "void on_capture_end(const packetmancer::CaptureSummary&)");
    static_assert(!report_json_needs_const<D> || HasJsonReport<D>,
                  "PacketMancer: report_json must be const (a report never changes the detector); expected: "
                  "void report_json(packetmancer::report::JsonWriter&, const packetmancer::report::ReportOptions&) const");
    static_assert(!declares_report_json<D> || report_json_needs_const<D>,
                  "PacketMancer: report_json has the wrong signature; expected: "
                  "void report_json(packetmancer::report::JsonWriter&, const packetmancer::report::ReportOptions&) const");
    static_assert(!report_text_needs_const<D> || HasTextReport<D>,
                  "PacketMancer: report_text must be const (a report never changes the detector); expected: "
                  "void report_text(std::string&, const packetmancer::report::TextContext&) const");
    static_assert(!declares_report_text<D> || report_text_needs_const<D>,
                  "PacketMancer: report_text has the wrong signature; expected: "
                  "void report_text(std::string&, const packetmancer::report::TextContext&) const");
    static_assert(Detector<D> || !NamedDetector<D> || has_near_miss<D> || declares_misnamed_hook<D>,
                  "PacketMancer: a detector needs at least one hook, for example: "
                  "void on_tcp(const packetmancer::TcpSegmentEvent&)");
    return Detector<D>;
}

// Each detector's report goes under detectors.<name>: two with one name would write the
// same JSON key twice (and a parser keeps only one of them).
template <class... Detectors>
consteval bool names_are_distinct() {
    if constexpr ((NamedDetector<Detectors> && ...)) {
        const std::array<std::string_view, sizeof...(Detectors)> names{std::string_view(Detectors::name)...};
        for (std::size_t i = 0; i < names.size(); ++i)
            for (std::size_t j = i + 1; j < names.size(); ++j)
                if (names[i] == names[j]) return false;
    }
    return true;
}

} // namespace packetmancer::detail
