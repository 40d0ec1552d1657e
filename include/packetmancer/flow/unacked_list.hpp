// The segments of one direction still waiting for their ACK (Wireshark's "unacked
// list"), oldest sending first. Every ACK walks it in Wireshark's algorithm; this list
// also knows when that walk can be skipped: while every segment starts at or after the
// end of the one sent before it (data sent in order, no retransmission), the ends rise
// strictly, so an ACK removes a prefix, matches at most its last entry and trims at most
// the entry after it. The list is a window over one array: the ACKed prefix is dropped
// by moving the window's start, not by moving the rest.
#pragma once

#include "packetmancer/flow/sequence.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace packetmancer::flow {

// A segment still waiting for its ACK.
struct UnackedSegment {
    std::uint32_t seq = 0;
    std::uint32_t end = 0;  // seq + length, +1 for SYN or FIN; always after seq
    std::uint32_t fingerprint = 0;  // segment_fingerprint, to tell a network copy from a resend
    std::int64_t sent_ns = 0;
    std::uint64_t frame = 0;
};

// What one ACK did to the list (Wireshark's walk in section 5.14).
struct AckOutcome {
    std::size_t removed = 0;        // entries acknowledged and dropped
    std::size_t exact_matches = 0;  // entries whose end equals the ACK
    UnackedSegment matched{};       // the oldest of them, when exact_matches > 0
    std::optional<std::int64_t> oldest_removed_sent_ns;  // sending time of the oldest dropped
};

class UnackedList {
public:
    UnackedList() = default;
    UnackedList(UnackedList&& other) noexcept { swap(other); }
    UnackedList& operator=(UnackedList&& other) noexcept {
        UnackedList moved(std::move(other));
        swap(moved);
        return *this;
    }
    UnackedList(const UnackedList& other) : in_order_(other.in_order_) {
        reserve(other.size_);
        std::copy(other.begin(), other.end(), data_.get());
        size_ = other.size_;
    }
    UnackedList& operator=(const UnackedList& other) {
        if (this != &other) {
            UnackedList copy(other);
            swap(copy);
        }
        return *this;
    }
    ~UnackedList() = default;

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] const UnackedSegment* begin() const noexcept { return data_.get() + head_; }
    [[nodiscard]] const UnackedSegment* end() const noexcept { return begin() + size_; }
    [[nodiscard]] UnackedSegment* begin() noexcept { return data_.get() + head_; }
    [[nodiscard]] UnackedSegment* end() noexcept { return begin() + size_; }
    [[nodiscard]] const UnackedSegment& front() const noexcept { return *begin(); }
    [[nodiscard]] UnackedSegment& operator[](std::size_t i) noexcept { return begin()[i]; }
    [[nodiscard]] const UnackedSegment& operator[](std::size_t i) const noexcept { return begin()[i]; }

    // True while each entry starts at or after the end of the one before it, and the
    // whole list spans less than 2^30 sequence numbers (so that comparisons modulo 2^32
    // are transitive over it).
    [[nodiscard]] bool in_order() const noexcept { return in_order_; }

    void push_back(const UnackedSegment& segment) {
        if (size_ == 0) {
            in_order_ = true;
        } else if (in_order_) {
            in_order_ = sequence::ge(segment.seq, (*this)[size_ - 1].end) &&
                        segment.end - front().seq < max_in_order_span;
        }
        if (head_ + size_ == capacity_) make_room();
        data_[head_ + size_] = segment;
        ++size_;
    }

    // Applies an ACK: drops every entry that ends at or before it, trims the one it falls
    // inside. While the list is in order and the ACK is not behind it, only the prefix it
    // covers and the entry after are looked at; otherwise every entry is, as Wireshark does.
    AckOutcome acknowledge(std::uint32_t ack) noexcept {
        if (!in_order_ || empty() || static_cast<std::uint32_t>(ack - front().seq) >= 0x80000000u)
            return acknowledge_walking_all(ack);
        AckOutcome out;
        std::size_t removed = 0;
        while (removed < size_ && !sequence::gt((*this)[removed].end, ack)) ++removed;
        if (removed > 0) {
            out.oldest_removed_sent_ns = front().sent_ns;
            // Ends rise strictly, so only the last dropped entry can end at the ACK.
            const UnackedSegment& last = (*this)[removed - 1];
            if (last.end == ack) {
                out.exact_matches = 1;
                out.matched = last;
            }
        }
        if (removed < size_) {
            UnackedSegment& next = (*this)[removed];
            if (sequence::gt(ack, next.seq) && sequence::lt(ack, next.end)) next.seq = ack;
        }
        out.removed = removed;
        drop_front(removed);
        return out;
    }

    // Wireshark's walk over every entry, oldest first; the reference for acknowledge().
    AckOutcome acknowledge_walking_all(std::uint32_t ack) noexcept {
        AckOutcome out;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < size_; ++i) {
            UnackedSegment entry = (*this)[i];
            if (ack == entry.end) {
                // The oldest exact match wins, as Wireshark's newest-first walk overwrites.
                if (out.exact_matches++ == 0) out.matched = entry;
                if (!out.oldest_removed_sent_ns) out.oldest_removed_sent_ns = entry.sent_ns;
                continue;
            }
            if (sequence::gt(ack, entry.seq) && sequence::lt(ack, entry.end)) {
                entry.seq = ack;
            } else if (!sequence::gt(entry.end, ack)) {
                if (!out.oldest_removed_sent_ns) out.oldest_removed_sent_ns = entry.sent_ns;
                continue;
            }
            (*this)[kept++] = entry;
        }
        out.removed = size_ - kept;
        truncate(kept);
        return out;
    }

    // Drops the `count` oldest entries.
    void drop_front(std::size_t count) noexcept {
        head_ += static_cast<std::uint32_t>(count);
        size_ -= static_cast<std::uint32_t>(count);
        if (size_ == 0) head_ = 0;
    }

    // Gives back an array much larger than what is left in it: a conversation that has
    // ended keeps only its last few segments, not the room its busiest moment needed.
    void shrink_to_fit() {
        if (capacity_ <= 2 * std::max<std::uint32_t>(size_, 4)) return;
        if (size_ == 0) {
            data_.reset();
            head_ = capacity_ = 0;
            return;
        }
        std::unique_ptr<UnackedSegment[]> smaller(new UnackedSegment[size_]);
        std::copy(begin(), end(), smaller.get());
        data_ = std::move(smaller);
        head_ = 0;
        capacity_ = size_;
    }

    // Empties the list and keeps its array for the next conversation of the slot.
    void clear() noexcept {
        head_ = size_ = 0;
        in_order_ = true;
    }

private:
    static constexpr std::uint32_t max_in_order_span = 1u << 30;

    // Keeps the first `count` entries (after rewriting them in place), and finds out
    // again whether they are in order.
    void truncate(std::size_t count) noexcept {
        size_ = static_cast<std::uint32_t>(count);
        if (size_ == 0) head_ = 0;
        in_order_ = true;
        for (std::size_t i = 1; i < size_ && in_order_; ++i)
            in_order_ = sequence::ge((*this)[i].seq, (*this)[i - 1].end);
        if (size_ > 0 && in_order_) in_order_ = (*this)[size_ - 1].end - front().seq < max_in_order_span;
    }

    void swap(UnackedList& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(head_, other.head_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
        std::swap(in_order_, other.in_order_);
    }

    // At the end of the array: slide the entries back to its start when a quarter or
    // more of it lies before them (amortised O(1) per entry), else double it.
    void make_room() {
        if (head_ > 0 && head_ >= capacity_ / 4) {
            std::copy(begin(), end(), data_.get());
            head_ = 0;
            return;
        }
        // From one entry: a scan's half-open conversations each hold a single SYN.
        reserve(capacity_ == 0 ? 1 : std::size_t{capacity_} * 2);
    }

    void reserve(std::size_t capacity) {
        if (capacity <= capacity_) return;
        std::unique_ptr<UnackedSegment[]> bigger(new UnackedSegment[capacity]);
        std::copy(begin(), end(), bigger.get());
        data_ = std::move(bigger);
        head_ = 0;
        capacity_ = static_cast<std::uint32_t>(capacity);
    }

    std::unique_ptr<UnackedSegment[]> data_;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0;
    bool in_order_ = true;
};

} // namespace packetmancer::flow
