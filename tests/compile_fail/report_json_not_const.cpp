// expect: PacketMancer: report_json must be const (a report never changes the detector); expected: void report_json(packetmancer::report::JsonWriter&, const packetmancer::report::ReportOptions&) const
#include <packetmancer/engine.hpp>
#include <packetmancer/report/json_writer.hpp>
#include <packetmancer/report/report_options.hpp>

struct Forgetful {
    static constexpr std::string_view name = "forgetful";
    std::uint64_t segments = 0;
    void on_tcp(const packetmancer::TcpSegmentEvent&) { ++segments; }
    // near miss: right parameters, but not const
    void report_json(packetmancer::report::JsonWriter& w, const packetmancer::report::ReportOptions&) {
        w.value(segments);
    }
};

int main() { packetmancer::Engine<Forgetful> engine; (void)engine; }
