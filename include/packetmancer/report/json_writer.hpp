// A small streaming JSON writer: objects, arrays, escaped strings, integers, and
// doubles in their shortest round-trip form. Output is indented and deterministic; a
// container opened as `single_line` (and all inside it) is written on one line, which
// keeps large reports small and one record per line.
#pragma once

#include "packetmancer/detail/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// The writer's few steps per value are inlined into each caller: called, they cost more
// in calls and spills than in work (callgrind on a report's conversations).
#if defined(__GNUC__)
#define PACKETMANCER_JSON_INLINE [[gnu::always_inline]] inline
#else
#define PACKETMANCER_JSON_INLINE inline
#endif

namespace packetmancer::report {

// A name written in the source (a key, a member's name): the compiler checks, once,
// that it has no character JSON needs escaped, so writing it is a copy. Names made at
// run time go to the overloads that take any text and check it as they write it.
class JsonName {
public:
    template <std::size_t N>
    consteval JsonName(const char (&text)[N]) : JsonName(std::string_view(text, N - 1)) {}  // NOLINT: implicit on purpose
    // A name from a constexpr table, turned into a JsonName at compile time.
    consteval explicit JsonName(std::string_view text) : text_(text) {
        for (const char c : text_)
            if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\')
                throw "a JSON name written in the source must not need escaping";  // a compile error
    }
    [[nodiscard]] constexpr std::string_view text() const noexcept { return text_; }

private:
    std::string_view text_;
};

// Text known only at run time (not an array: a literal is a JsonName).
template <class Text>
concept runtime_text = std::is_convertible_v<const Text&, std::string_view> && !std::is_array_v<Text>;

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}
    // A copy stands at the same place of the same document. Made under a hold(), it does
    // not carry what is pending (which the original appends when the hold ends).
    JsonWriter(const JsonWriter& other) : out_(other.out_), first_(other.first_), single_line_depth_(other.single_line_depth_),
                                          after_key_(other.after_key_) {}
    JsonWriter& operator=(const JsonWriter&) = delete;

    enum Layout : bool { indented = false, single_line = true };

    JsonWriter& begin_object(Layout layout = indented) { open('{', layout); return done(); }
    JsonWriter& end_object() { close('}'); return done(); }
    JsonWriter& begin_array(Layout layout = indented) { open('[', layout); return done(); }
    JsonWriter& end_array() { close(']'); return done(); }

    // A name written in the source is a JsonName (checked by the compiler); any other
    // (a string_view, a std::string) is checked for characters to escape as it is written.
    JsonWriter& key(JsonName name) { put_key(name.text(), plain); return done(); }
    template <class Text>
        requires runtime_text<Text>
    JsonWriter& key(const Text& name) { put_key(name, unchecked); return done(); }

    JsonWriter& value(std::string_view text) { put_string(text); return done(); }
    JsonWriter& value(const char* text) { return value(std::string_view{text}); }
    JsonWriter& value(bool b) { put_number(b); return done(); }
    JsonWriter& value(std::uint64_t n) { put_number(n); return done(); }
    JsonWriter& value(std::int64_t n) { put_number(n); return done(); }
    JsonWriter& value(std::uint32_t n) { return value(std::uint64_t{n}); }
    JsonWriter& value(int n) { return value(std::int64_t{n}); }
    JsonWriter& value(double d) { put_number(d); return done(); }
    JsonWriter& null() { return raw_number("null"); }
    // A number already formatted (e.g. a timestamp with all its nanosecond digits).
    JsonWriter& raw_number(std::string_view text) { put_raw(text); return done(); }

    template <class T>
    JsonWriter& member(JsonName name, const T& v) {
        put_key(name.text(), plain);
        return member_value(v);
    }
    template <class Text, class T>
        requires runtime_text<Text>
    JsonWriter& member(const Text& name, const T& v) {
        put_key(name, unchecked);
        return member_value(v);
    }

    // While the returned guard lives, what is written collects in the writer's own
    // buffer and reaches the output string in pieces of some kilobytes, not at every
    // call (each append to a std::string costs about as much as formatting a member).
    // Hold it around a run of writes nothing else reads or appends to the output in
    // between, like one conversation's object. Without a hold, the output is complete
    // after every call.
    class Hold {
    public:
        explicit Hold(JsonWriter& w) noexcept : w_(w) { ++w_.holds_; }
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;
        ~Hold() { if (--w_.holds_ == 0) w_.flush(); }
    private:
        JsonWriter& w_;
    };
    [[nodiscard]] Hold hold() { return Hold(*this); }

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
    // Everything is put together in `pending_`, then appended to the output in one call:
    // at the end of each public call, or when a hold() ends or the buffer fills. A member
    // used to cost four appends. Strings are copied through the buffer up to
    // `short_string` bytes; longer ones, and separators deeper than `inline_depth`
    // levels, go to the output directly (after what is pending).
    static constexpr std::size_t inline_depth = 32;
    static constexpr std::size_t short_string = 48;
    static constexpr std::size_t max_number_length = 32;  // to_chars's longest double is 24
    static constexpr std::size_t max_separator_length = 2 + 2 * inline_depth;  // ",\n" and the indentation
    static constexpr std::size_t max_piece = max_separator_length + short_string + 4 + max_number_length;
    static constexpr std::size_t pending_capacity = 4096;
    static_assert(max_piece * 4 < pending_capacity);

    template <class T>
    JsonWriter& member_value(const T& v) {
        if constexpr (std::is_arithmetic_v<T>) put_number(v);
        else if constexpr (std::is_convertible_v<const T&, std::string_view>) put_string(v);
        else value(v);
        return done();
    }

    JsonWriter& done() {
        if (holds_ == 0) flush();
        return *this;
    }
    void flush() {
        if (pending_size_ == 0) return;
        out_.append(pending_, pending_size_);
        pending_size_ = 0;
    }
    // Room for `n` <= max_piece bytes at the end of what is pending.
    PACKETMANCER_JSON_INLINE char* room(std::size_t n) {
        if (pending_size_ + n > pending_capacity) flush();
        return pending_ + pending_size_;
    }
    PACKETMANCER_JSON_INLINE void commit(const char* end) { pending_size_ = static_cast<std::size_t>(end - pending_); }

    // The separator before a value: nothing after a key; else a comma unless it is the
    // container's first value, and a newline with indentation unless on a single line.
    PACKETMANCER_JSON_INLINE void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (first_.empty()) return;
        const bool was_first = first_.back();
        first_.back() = 0;
        if (single_line_depth_ > 0) {
            if (!was_first) {
                char* p = room(2);
                *p++ = ',';
                *p++ = ' ';
                commit(p);
            }
            return;
        }
        const std::size_t indent = first_.size() * 2;
        if (first_.size() > inline_depth) {
            flush();
            if (!was_first) out_ += ',';
            out_ += '\n';
            out_.append(indent, ' ');
            return;
        }
        char* p = room(max_separator_length);
        if (!was_first) *p++ = ',';
        *p++ = '\n';
        std::memset(p, ' ', indent);
        commit(p + indent);
    }

    enum Escapes : bool { unchecked = false, plain = true };  // plain: known to need no escape
    PACKETMANCER_JSON_INLINE void put_key(std::string_view name, Escapes escapes) {
        separate();
        put_quoted(name, true, escapes);
        after_key_ = true;
    }
    void put_string(std::string_view text) {
        separate();
        put_quoted(text, false, unchecked);
    }
    void put_raw(std::string_view text) {
        separate();
        if (text.size() > max_number_length) {
            flush();
            out_ += text;
            return;
        }
        char* p = room(max_number_length);
        std::memcpy(p, text.data(), text.size());
        commit(p + text.size());
    }
    // Integers and booleans as their digits and words; doubles in their shortest
    // round-trip form, null when not finite.
    template <class N>
    void put_number(N n) {
        separate();
        char* p = room(max_number_length);
        if constexpr (std::is_same_v<N, bool>) {
            const std::string_view text = n ? "true" : "false";
            std::memcpy(p, text.data(), text.size());
            p += text.size();
        } else if constexpr (std::is_floating_point_v<N>) {
            const double d = static_cast<double>(n);
            if (std::isfinite(d)) {
                p = std::to_chars(p, p + max_number_length, d).ptr;
            } else {
                std::memcpy(p, "null", 4);
                p += 4;
            }
        } else if constexpr (std::is_signed_v<N>) {
            p = std::to_chars(p, p + max_number_length, static_cast<std::int64_t>(n)).ptr;
        } else {
            p = std::to_chars(p, p + max_number_length, static_cast<std::uint64_t>(n)).ptr;
        }
        commit(p);
    }
    // `s` quoted, then for a key ": ".
    PACKETMANCER_JSON_INLINE void put_quoted(std::string_view s, bool is_key, Escapes escapes) {
        if (s.size() <= short_string && (escapes == plain || !needs_escape(s))) {
            char* p = room(short_string + 4);
            *p++ = '"';
            copy_short(p, s.data(), s.size());
            p += s.size();
            *p++ = '"';
            if (is_key) {
                *p++ = ':';
                *p++ = ' ';
            }
            commit(p);
            return;
        }
        flush();
        write_string(s, is_key ? ": " : "");
    }
    // memcpy for n <= short_string, in a few fixed-size moves: a call to memcpy with a
    // length known only at run time costs more than the copy of a name.
    static void copy_short(char* to, const char* from, std::size_t n) noexcept {
        if (n >= 16) {
            for (std::size_t i = 0; i + 16 < n; i += 16) std::memcpy(to + i, from + i, 16);
            std::memcpy(to + n - 16, from + n - 16, 16);
        } else if (n >= 8) {
            std::memcpy(to, from, 8);
            std::memcpy(to + n - 8, from + n - 8, 8);
        } else if (n >= 4) {
            std::memcpy(to, from, 4);
            std::memcpy(to + n - 4, from + n - 4, 4);
        } else {
            for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
        }
    }

    void open(char c, Layout layout) {
        separate();
        char* p = room(1);
        *p++ = c;
        commit(p);
        first_.push_back(1);
        if (layout == single_line || single_line_depth_ > 0) ++single_line_depth_;
    }
    void close(char c) {
        const bool empty = first_.back();
        first_.pop_back();
        if (single_line_depth_ > 0) {
            --single_line_depth_;
        } else if (!empty) {
            const std::size_t indent = first_.size() * 2;
            if (first_.size() > inline_depth) {
                flush();
                out_ += '\n';
                out_.append(indent, ' ');
            } else {
                char* p = room(max_separator_length);
                *p++ = '\n';
                std::memset(p, ' ', indent);
                commit(p + indent);
            }
        }
        char* p = room(2);
        *p++ = c;
        if (first_.empty()) *p++ = '\n';
        commit(p);
    }

    // True when one of the eight bytes of `w` is a control character (DEL included), '"',
    // '\\' or a byte of 0x80 and above (the classic "has a byte less than n" and "has a
    // zero byte" word tricks; exact as a yes or no for the whole word). Bytes of 0x80 and
    // above are UTF-8 to check: text from the input (a file name) may hold any bytes.
    [[nodiscard]] static bool may_need_escape(std::uint64_t w) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        const std::uint64_t quote = w ^ (ones * '"');
        const std::uint64_t backslash = w ^ (ones * '\\');
        const std::uint64_t del = w ^ (ones * 0x7F);
        const std::uint64_t found = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                                    ((backslash - ones) & ~backslash) | ((del - ones) & ~del);
        return ((found | w) & highs) != 0;
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
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7F) return true;
        }
        return false;
    }

    // Appends runs of plain characters in one go, skipping over them eight at a time;
    // only the characters JSON requires escaped are written one by one, with DEL, the C1
    // controls and the bidirectional overrides (detail::hidden_control), so that no JSON
    // printed on a terminal can drive it; a byte that is not part of well-formed UTF-8
    // becomes U+FFFD, so that the report stays valid JSON whatever a file name holds.
    // Straight to the output: call it with nothing pending.
    // `s` quoted, then `after` (at most 2 bytes, e.g. a key's ": ").
    void write_string(std::string_view s, std::string_view after = {}) {
        if (!needs_escape(s)) {  // a long string: one append with the quotes
            const std::size_t at = out_.size();
            out_.resize(at + s.size() + 2);
            char* p = out_.data() + at;
            p[0] = '"';
            if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
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
            std::uint32_t code_point = 0;
            std::size_t length = 0;
            if (c >= 0x80) {
                length = detail::utf8_sequence(s, i - 1, code_point);
                if (length && !detail::hidden_control(code_point)) {
                    i += length - 1;
                    continue;
                }
            } else if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) {
                continue;
            }
            out_.append(s.data() + run, i - 1 - run);
            if (length) i += length - 1;  // a hidden control, written as its escape below
            run = i;
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default: {
                if (c >= 0x80 && !length) {
                    out_ += "\\ufffd";
                    break;
                }
                static constexpr char hex[] = "0123456789abcdef";
                const std::uint32_t cp = length ? code_point : c;
                const char escaped[6] = {'\\', 'u', hex[cp >> 12 & 0xF], hex[cp >> 8 & 0xF], hex[cp >> 4 & 0xF], hex[cp & 0xF]};
                out_.append(escaped, sizeof escaped);
            }
            }
        }
        out_.append(s.data() + run, s.size() - run);
        out_ += '"';
        out_ += after;
    }

    std::string& out_;
    char pending_[pending_capacity];  // (uninitialised: only the first pending_size_ bytes are read)
    std::size_t pending_size_ = 0;
    int holds_ = 0;
    std::vector<std::uint8_t> first_;  // per open container: 1 while nothing is written in it (not vector<bool>: one byte each is cheaper to test)
    std::size_t single_line_depth_ = 0;  // containers open inside a single-line one, itself included
    bool after_key_ = false;
};

// "1700000000.123456789": epoch seconds with every nanosecond digit, as a JSON number;
// written at `out` (room for `max_epoch_seconds_length` characters), returning the end.
inline constexpr std::size_t max_epoch_seconds_length = 30;
inline char* write_epoch_seconds(char* out, std::int64_t seconds, std::uint32_t nanoseconds) noexcept {
    char* end = std::to_chars(out, out + 20, seconds).ptr;
    *end++ = '.';
    std::uint32_t ns = nanoseconds;
    for (int i = 8; i >= 0; --i) {
        end[i] = static_cast<char>('0' + ns % 10);
        ns /= 10;
    }
    return end + 9;
}
[[nodiscard]] inline std::string epoch_seconds_text(std::int64_t seconds, std::uint32_t nanoseconds) {
    char text[max_epoch_seconds_length];
    return std::string(text, write_epoch_seconds(text, seconds, nanoseconds));
}

} // namespace packetmancer::report

#undef PACKETMANCER_JSON_INLINE
