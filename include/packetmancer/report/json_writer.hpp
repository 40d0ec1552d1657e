// A small streaming JSON writer: objects, arrays, escaped strings, integers, and
// doubles in their shortest round-trip form. Output is indented and deterministic; a
// container opened as `single_line` (and all inside it) is written on one line, which
// keeps large reports small and one record per line.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
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
        write_string(name, ": ");
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

    // Parts of one document written apart (on other threads) and joined in order: a
    // writer that goes on from where this one stands (nesting, layout, separators) but
    // appends to `out`. Once values were written through it, `values_written_elsewhere()`
    // brings this writer past them, as if it had written them itself.
    [[nodiscard]] JsonWriter resumed_in(std::string& out) const {
        JsonWriter w(out);
        w.first_ = first_;
        w.single_line_depth_ = single_line_depth_;
        w.after_key_ = after_key_;
        return w;
    }
    void values_written_elsewhere() {
        after_key_ = false;
        if (!first_.empty()) first_.back() = 0;
    }

private:
    template <class N>
    void append_integer(N n) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, n);
        out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
    }

    void separate() {
        if (after_key_) { after_key_ = false; return; }
        if (first_.empty()) return;
        const bool was_first = first_.back();
        first_.back() = 0;
        if (single_line_depth_ == 0) line_break(!was_first);
        else if (!was_first) out_.append(", ", 2);
    }
    void open(char c, Layout layout) {
        separate();
        out_ += c;
        first_.push_back(1);
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
    void newline() { line_break(false); }
    // An optional comma, a newline and the indentation of the current depth, in one append
    // while the depth is at most 32 (a report nests about 8 deep).
    void line_break(bool comma) {
        static constexpr char comma_newline_spaces[] =
            ",\n                                                                ";
        const std::size_t indent = first_.size() * 2;
        if (indent + 2 < sizeof comma_newline_spaces) {
            out_.append(comma_newline_spaces + (comma ? 0 : 1), indent + (comma ? 2 : 1));
            return;
        }
        if (comma) out_ += ',';
        out_ += '\n';
        out_.append(indent, ' ');
    }
    // True when one of the eight bytes of `w` is a control character, '"' or '\\'
    // (the classic "has a byte less than n" and "has a zero byte" word tricks; exact as
    // a yes or no for the whole word, and bytes of 0x80 and above never count).
    [[nodiscard]] static bool may_need_escape(std::uint64_t w) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        const std::uint64_t quote = w ^ (ones * '"');
        const std::uint64_t backslash = w ^ (ones * '\\');
        const std::uint64_t found = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
        return (found & highs) != 0;
    }

    [[nodiscard]] static bool needs_escape(std::string_view s) noexcept {
        std::size_t i = 0;
        if (s.size() >= 8) {
            for (; i + 8 <= s.size(); i += 8) {
                std::uint64_t w;
                std::memcpy(&w, s.data() + i, 8);
                if (may_need_escape(w)) return true;
            }
            // The last bytes as one word that overlaps the words already tested.
            std::uint64_t w;
            std::memcpy(&w, s.data() + s.size() - 8, 8);
            return may_need_escape(w);
        }
        for (; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == '"' || c == '\\') return true;
        }
        return false;
    }

    // Appends runs of plain characters in one go, skipping over them eight at a time;
    // only the characters JSON requires escaped are written one by one.
    // `s` quoted, then `after` (at most 2 bytes, e.g. a key's ": ").
    void write_string(std::string_view s, std::string_view after = {}) {
        // Most strings (every key, most values) need no escape: one append with the quotes,
        // from the stack when short.
        if (!needs_escape(s)) {
            constexpr std::size_t short_string = 48;
            if (s.size() <= short_string) {
                char quoted[short_string + 4];
                quoted[0] = '"';
                if (!s.empty()) std::memcpy(quoted + 1, s.data(), s.size());  // (never from a null pointer)
                quoted[s.size() + 1] = '"';
                if (!after.empty()) std::memcpy(quoted + s.size() + 2, after.data(), after.size());
                out_.append(quoted, s.size() + 2 + after.size());
                return;
            }
            const std::size_t at = out_.size();
            out_.resize(at + s.size() + 2);
            char* p = out_.data() + at;
            p[0] = '"';
            std::memcpy(p + 1, s.data(), s.size());  // longer than short_string: not empty
            p[s.size() + 1] = '"';
            out_ += after;
            return;
        }
        out_ += '"';
        std::size_t run = 0;
        std::size_t i = 0;
        while (i < s.size()) {
            if (i + 8 <= s.size()) {
                std::uint64_t w;
                std::memcpy(&w, s.data() + i, 8);
                if (!may_need_escape(w)) {
                    i += 8;
                    continue;
                }
            }
            const auto c = static_cast<unsigned char>(s[i++]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            out_.append(s.data() + run, i - 1 - run);
            run = i;
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default: {
                static constexpr char hex[] = "0123456789abcdef";
                const char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                out_.append(escaped, sizeof escaped);
            }
            }
        }
        out_.append(s.data() + run, s.size() - run);
        out_ += '"';
        out_ += after;
    }

    std::string& out_;
    std::vector<std::uint8_t> first_;  // per open container: 1 while nothing is written in it (not vector<bool>: one byte each is cheaper to test)
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
