// expect: PacketMancer: report_text has the wrong signature; expected: void report_text(std::string&, const packetmancer::report::TextContext&) const
#include <packetmancer/engine.hpp>

#include <string>

struct Chatty {
    static constexpr std::string_view name = "chatty";
    void on_tcp(const packetmancer::TcpSegmentEvent&) {}
    // near miss: returns the text instead of appending to the report
    std::string report_text() const { return "chatty\n"; }
};

int main() { packetmancer::Engine<Chatty> engine; (void)engine; }
