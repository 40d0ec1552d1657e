// The last N 64-bit prints added, remembered exactly (the oldest forgotten first): a
// ring of them in arrival order, and an open-addressing set to look one up, with no
// allocation after the first add. For "was this 4-tuple closed at the limit lately?".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace packetmancer::detail {

class RecentPrints {
public:
    // Remembers the last `capacity` prints (a power of two).
    explicit RecentPrints(std::size_t capacity) : capacity_(capacity) {}

    void add(std::uint64_t print) {
        print |= 1;  // 0 marks an empty place
        if (ring_.empty()) {
            ring_.assign(capacity_, 0);
            table_.assign(capacity_ * 2, 0);
        }
        if (contains(print)) return;
        if (ring_[next_] != 0) erase(ring_[next_]);
        ring_[next_] = print;
        next_ = (next_ + 1) & (capacity_ - 1);
        std::size_t i = print & mask();
        while (table_[i] != 0) i = (i + 1) & mask();
        table_[i] = print;
    }

    [[nodiscard]] bool contains(std::uint64_t print) const noexcept {
        if (table_.empty()) return false;
        print |= 1;
        for (std::size_t i = print & mask(); table_[i] != 0; i = (i + 1) & mask())
            if (table_[i] == print) return true;
        return false;
    }

    [[nodiscard]] bool empty() const noexcept { return table_.empty(); }

private:
    [[nodiscard]] std::size_t mask() const noexcept { return table_.size() - 1; }

    // Linear probing, deleted by shifting the entries after it back: no tombstones.
    void erase(std::uint64_t print) noexcept {
        std::size_t i = print & mask();
        while (table_[i] != print) i = (i + 1) & mask();
        for (std::size_t j = (i + 1) & mask(); table_[j] != 0; j = (j + 1) & mask()) {
            const std::size_t home = table_[j] & mask();
            // Moves back unless its home lies in (i, j], cyclically.
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
                table_[i] = table_[j];
                i = j;
            }
        }
        table_[i] = 0;
    }

    std::size_t capacity_;
    std::size_t next_ = 0;
    std::vector<std::uint64_t> ring_;   // the last `capacity_`, oldest at next_
    std::vector<std::uint64_t> table_;  // the same, for lookup; twice as many places
};

} // namespace packetmancer::detail
