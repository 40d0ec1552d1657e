// A small streaming JSON writer: objects, arrays, escaped strings, integers, and
// doubles in their shortest round-trip form. Output is indented and deterministic; a
// container opened as `single_line` (and all inside it) is written on one line, which
// keeps large reports small and one record per line.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace packetmancer::report {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    enum Layout : bool { indented = false, single_line = true };

    JsonWriter& begin_object(Layout layout = indented) { open('{', layout); return *this; }
    JsonWriter& end_object() { close('}'); return *this; }
    JsonWriter& begin_array(Layout layout = indented) { open('[', layout); return *this; }
    JsonWriter& end_array() { close(']'); return *this; }

    JsonWriter& key(std::string_view name) {
        separate();
        write_string(name);
        out_ += ": ";
        after_key_ = true;
        return *this;
    }

    JsonWriter& value(std::string_view text) { separate(); write_string(text); return *this; }
    JsonWriter& value(const char* text) { return value(std::string_view{text}); }
    JsonWriter& value(bool b) { separate(); out_ += b ? "true" : "false"; return *this; }
    JsonWriter& value(std::uint64_t n) { separate(); append_integer(n); return *this; }
    JsonWriter& value(std::int64_t n) { separate(); append_integer(n); return *this; }
    JsonWriter& value(std::uint32_t n) { return value(std::uint64_t{n}); }
    JsonWriter& value(int n) { return value(std::int64_t{n}); }
    JsonWriter& value(double d) {
        separate();
        if (!std::isfinite(d)) { out_ += "null"; return *this; }
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, d);
        out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
        return *this;
    }
    JsonWriter& null() { separate(); out_ += "null"; return *this; }
    // A number already formatted (e.g. a timestamp with all its nanosecond digits).
    JsonWriter& raw_number(std::string_view text) { separate(); out_ += text; return *this; }

    template <class T>
    JsonWriter& member(std::string_view name, const T& v) { key(name); return value(v); }

private:
    template <class N>
    void append_integer(N n) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, n);
        out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
    }

    void separate() {
        if (after_key_) { after_key_ = false; return; }
        if (!first_.empty()) {
            const bool was_first = first_.back();
            if (!was_first) out_ += ',';
            first_.back() = false;
            if (single_line_depth_ == 0) newline();
            else if (!was_first) out_ += ' ';
        }
    }
    void open(char c, Layout layout) {
        separate();
        out_ += c;
        first_.push_back(true);
        if (layout == single_line || single_line_depth_ > 0) ++single_line_depth_;
    }
    void close(char c) {
        const bool empty = first_.back();
        first_.pop_back();
        if (single_line_depth_ > 0) --single_line_depth_;
        else if (!empty) newline();
        out_ += c;
        if (first_.empty()) out_ += '\n';
    }
    void newline() {
        out_ += '\n';
        out_.append(first_.size() * 2, ' ');
    }
    void write_string(std::string_view s) {
        out_ += '"';
        for (const char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default:
                if (c < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out_ += "\\u00";
                    out_ += hex[c >> 4];
                    out_ += hex[c & 0xF];
                } else {
                    out_ += ch;
                }
            }
        }
        out_ += '"';
    }

    std::string& out_;
    std::vector<bool> first_;  // per open container: nothing written in it yet
    std::size_t single_line_depth_ = 0;  // containers open inside a single-line one, itself included
    bool after_key_ = false;
};

// "1700000000.123456789": epoch seconds with every nanosecond digit, as a JSON number.
[[nodiscard]] inline std::string epoch_seconds_text(std::int64_t seconds, std::uint32_t nanoseconds) {
    char text[32];
    char* end = std::to_chars(text, text + 20, seconds).ptr;
    *end++ = '.';
    std::uint32_t ns = nanoseconds;
    for (int i = 8; i >= 0; --i) {
        end[i] = static_cast<char>('0' + ns % 10);
        ns /= 10;
    }
    return std::string(text, static_cast<std::size_t>(end + 9 - text));
}

} // namespace packetmancer::report
