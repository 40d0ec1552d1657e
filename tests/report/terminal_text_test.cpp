// report/terminal_text.hpp: text from the input or the command line, shown on a terminal
// without the terminal obeying it.
#include <packetmancer/report/terminal_text.hpp>

#include <doctest/doctest.h>

using packetmancer::report::terminal_safe;

TEST_CASE("printable text passes unchanged, in any script") {
    CHECK(terminal_safe("capture-2026-12-03.pcap") == "capture-2026-12-03.pcap");
    CHECK(terminal_safe("conexi\xc3\xb3n \xe6\x8d\x95\xe8\x8e\xb7 \xf0\x9f\x93\xa6") == "conexi\xc3\xb3n \xe6\x8d\x95\xe8\x8e\xb7 \xf0\x9f\x93\xa6");
    CHECK(terminal_safe("a\\b") == "a\\b");
    CHECK(terminal_safe("") == "");
}

TEST_CASE("control characters become visible escapes: no colour, no title, no forged line") {
    CHECK(terminal_safe("x\x1b[31mred") == "x\\x1b[31mred");
    CHECK(terminal_safe("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07");
    CHECK(terminal_safe("one\ntwo\r\tthree") == "one\\ntwo\\r\\tthree");
    CHECK(terminal_safe(std::string_view("nul\0here", 8)) == "nul\\x00here");
    CHECK(terminal_safe("del\x7f") == "del\\x7f");
}

TEST_CASE("C1 controls and bidirectional overrides, valid UTF-8 as they are, are escaped as code points") {
    CHECK(terminal_safe("\xc2\x9b" "31m") == "\\u009b31m");              // CSI, the 8-bit form of ESC [
    CHECK(terminal_safe("evil\xe2\x80\xaegnp.exe") == "evil\\u202egnp.exe");  // right-to-left override
    CHECK(terminal_safe("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");  // isolates
}

TEST_CASE("bytes that are not UTF-8 are escaped one by one") {
    CHECK(terminal_safe("caf\xe9.pcap") == "caf\\xe9.pcap");
    CHECK(terminal_safe("\xc0\xaf") == "\\xc0\\xaf");        // overlong
    CHECK(terminal_safe("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(terminal_safe("cut \xe2\x82") == "cut \\xe2\\x82");   // a sequence cut short
}
