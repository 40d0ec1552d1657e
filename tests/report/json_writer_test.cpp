// report/json_writer.hpp: well-formed, escaped, deterministic JSON.
#include <packetmancer/report/json_writer.hpp>

#include <doctest/doctest.h>

using packetmancer::report::JsonWriter;

TEST_CASE("objects, arrays, numbers and null nest with indentation") {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.member("n", std::uint64_t{3});
    w.key("list").begin_array().value(1).value(-2).value(0.5).null().end_array();
    w.key("empty").begin_object().end_object();
    w.end_object();
    CHECK(out == "{\n  \"n\": 3,\n  \"list\": [\n    1,\n    -2,\n    0.5,\n    null\n  ],\n  \"empty\": {}\n}\n");
}

TEST_CASE("strings are escaped: quotes, backslashes and control characters") {
    std::string out;
    JsonWriter w(out);
    w.begin_array().value("a\"b\\c\n\x01").end_array();
    CHECK(out == "[\n  \"a\\\"b\\\\c\\n\\u0001\"\n]\n");
}

TEST_CASE("every byte value, at every position of a long string, is escaped exactly when JSON requires it") {
    // Long plain runs are skipped eight bytes at a time; this checks that no byte of any
    // value hides in a skipped word, whatever its offset.
    const auto expected_escape = [](unsigned char c) -> std::string {
        switch (c) {
        case '"': return "\\\"";
        case '\\': return "\\\\";
        case '\n': return "\\n";
        case '\r': return "\\r";
        case '\t': return "\\t";
        default: break;
        }
        std::string escaped;
        if (c >= 0x80) return "\\ufffd";  // alone, a byte of 0x80 and above is no UTF-8
        if (c < 0x20 || c == 0x7F) {
            static constexpr char hex[] = "0123456789abcdef";
            escaped.append("\\u00");
            escaped.push_back(hex[c >> 4]);
            escaped.push_back(hex[c & 0xF]);
        } else {
            escaped.push_back(static_cast<char>(c));
        }
        return escaped;
    };
    for (const std::size_t length : {1, 2, 7, 8, 9, 15, 16, 17, 19}) {
        for (int value = 0; value < 256; ++value) {
            for (std::size_t position = 0; position < length; ++position) {
                std::string text(length, 'x');
                text[position] = static_cast<char>(value);
                std::string out;
                JsonWriter(out).value(text);
                std::string want = "\"";
                want.append(position, 'x');
                want.append(expected_escape(static_cast<unsigned char>(value)));
                want.append(length - 1 - position, 'x');
                want.push_back('"');
                CHECK(out == want);
            }
        }
    }
}

TEST_CASE("well-formed UTF-8 passes unchanged; any other byte becomes U+FFFD, so the JSON stays valid") {
    const auto written = [](std::string_view text) {
        std::string out;
        JsonWriter(out).value(text);
        return out;
    };
    // Two-, three- and four-byte sequences, inside a long string and a short one.
    CHECK(written("respondi\xc3\xb3 al intento de conexi\xc3\xb3n") == "\"respondi\xc3\xb3 al intento de conexi\xc3\xb3n\"");
    CHECK(written("\xe2\x82\xac \xf0\x9d\x84\x9e") == "\"\xe2\x82\xac \xf0\x9d\x84\x9e\"");
    // A Latin-1 file name, an overlong slash, a surrogate, a cut sequence, a byte past U+10FFFF.
    CHECK(written("caf\xe9.pcap") == "\"caf\\ufffd.pcap\"");
    CHECK(written("\xc0\xaf") == "\"\\ufffd\\ufffd\"");
    CHECK(written("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");
    CHECK(written("a\xe2\x82") == "\"a\\ufffd\\ufffd\"");
    CHECK(written("\xf5\x80\x80\x80 long enough to be skipped in words") ==
          "\"\\ufffd\\ufffd\\ufffd\\ufffd long enough to be skipped in words\"");
}

TEST_CASE("DEL, C1 controls and bidirectional overrides are escaped: JSON on a terminal cannot drive it") {
    const auto written = [](std::string_view text) {
        std::string out;
        JsonWriter(out).value(text);
        return out;
    };
    CHECK(written("del\x7f") == "\"del\\u007f\"");
    CHECK(written("csi \xc2\x9b" "31m and more, long enough for words") == "\"csi \\u009b31m and more, long enough for words\"");
    CHECK(written("evil\xe2\x80\xaegnp.exe") == "\"evil\\u202egnp.exe\"");
    CHECK(written("\xe2\x81\xa6x\xe2\x81\xa9") == "\"\\u2066x\\u2069\"");
    // Other characters of the same lead bytes pass unchanged.
    CHECK(written("\xc2\xa9 \xe2\x80\x94") == "\"\xc2\xa9 \xe2\x80\x94\"");
}

TEST_CASE("timestamps keep all nine fractional digits") {
    CHECK(packetmancer::report::epoch_seconds_text(1700000000, 5) == "1700000000.000000005");
    CHECK(packetmancer::report::epoch_seconds_text(0, 123456789) == "0.123456789");
}

TEST_CASE("a non-finite double is written as null") {
    std::string out;
    JsonWriter w(out);
    w.begin_array().value(1.0 / 0.0).end_array();
    CHECK(out == "[\n  null\n]\n");
}

TEST_CASE("a single-line container keeps itself and all it holds on one line") {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    w.begin_object(JsonWriter::single_line).member("a", 1).key("b").begin_array().value(2).value(3).end_array().end_object();
    w.begin_object(JsonWriter::single_line).end_object();
    w.end_array();
    CHECK(out == "[\n  {\"a\": 1, \"b\": [2, 3]},\n  {}\n]\n");
}

TEST_CASE("without a hold, the output is complete after every call") {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    CHECK(out == "{");
    w.member("a", 1);
    CHECK(out == "{\n  \"a\": 1");
    w.key("b");
    CHECK(out == "{\n  \"a\": 1,\n  \"b\": ");
}

TEST_CASE("under a hold, writes reach the output when the hold ends, in order, whatever their length") {
    std::string held_out, plain_out;
    const std::string long_text(5000, 'x');       // longer than the writer's buffer
    const std::string escaped_text = "tab\there";  // written apart from the buffer
    const auto write = [&](JsonWriter& w) {
        w.begin_object(JsonWriter::single_line);
        for (int i = 0; i < 300; ++i) w.member("n", i);  // several buffers' worth
        w.member("long", long_text);
        w.member("escaped", escaped_text);
        w.key(std::string("runtime \"name\"")).value(2.5);
        w.end_object();
    };
    JsonWriter plain(plain_out);
    write(plain);
    JsonWriter held(held_out);
    {
        const auto pieces = held.hold();
        write(held);
        CHECK(held_out.size() < plain_out.size());  // some is still pending
    }
    CHECK(held_out == plain_out);
    CHECK(plain_out.find("\"tab\\there\"") != std::string::npos);
    CHECK(plain_out.find("\"runtime \\\"name\\\"\": 2.5}") != std::string::npos);
    CHECK(plain_out.find(long_text) != std::string::npos);
}
