// The conversation table's index: 4-tuple -> live slot, as an open-addressing hash table
// with linear probing. An entry is 8 bytes (the slot and 32 bits of the hash, which
// spares most key comparisons); keys live in the slots themselves and compare as
// fixed-size bytes. Deletion shifts the following entries back, so there are no
// tombstones and probe sequences stay short at any age. No allocation except when
// the table doubles.
#pragma once

#include "packetmancer/flow/flow_key.hpp"

#include <cstdint>
#include <vector>

namespace packetmancer::flow {

class FlowIndex {
public:
    static constexpr std::uint32_t none = 0xFFFFFFFF;

    // `key_of(slot)` returns the key stored in that slot.
    template <class KeyOf>
    [[nodiscard]] std::uint32_t find(const FlowKey& key, KeyOf&& key_of) const noexcept {
        if (entries_.empty()) return none;
        const std::uint64_t h = FlowKeyHash{}(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Entry& e = entries_[i];
            if (e.slot == none) return none;
            if (e.tag == tag && key_of(e.slot) == key) return e.slot;
        }
    }

    // Adds a key that is not in the index yet.
    void insert(const FlowKey& key, std::uint32_t slot) {
        if ((count_ + 1) * 2 > entries_.size()) grow();
        place(FlowKeyHash{}(key), slot);
        ++count_;
    }

    // Points an existing key at another slot (a 4-tuple reused by a new conversation).
    template <class KeyOf>
    void replace(const FlowKey& key, std::uint32_t slot, KeyOf&& key_of) noexcept {
        const std::uint64_t h = FlowKeyHash{}(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            Entry& e = entries_[i];
            if (e.slot == none) return;
            if (e.tag == tag && key_of(e.slot) == key) {
                e.slot = slot;
                return;
            }
        }
    }

    template <class KeyOf>
    void erase(const FlowKey& key, KeyOf&& key_of) noexcept {
        const std::uint64_t h = FlowKeyHash{}(key);
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        std::size_t i = h & mask_;
        for (;; i = (i + 1) & mask_) {
            const Entry& e = entries_[i];
            if (e.slot == none) return;
            if (e.tag == tag && key_of(e.slot) == key) break;
        }
        // Backward-shift deletion: move later entries of the run into the hole when
        // their home position allows it.
        std::size_t hole = i;
        for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
            Entry& e = entries_[j];
            if (e.slot == none) break;
            const std::size_t home = e.home & mask_;
            const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                entries_[hole] = e;
                hole = j;
            }
        }
        entries_[hole] = Entry{};
        --count_;
    }

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return entries_.size(); }

private:
    struct Entry {
        std::uint32_t slot = none;
        std::uint32_t tag = 0;   // high 32 bits of the hash
        std::uint32_t home = 0;  // low 32 bits: where the probe for this key starts
    };

    void place(std::uint64_t h, std::uint32_t slot) noexcept {
        std::size_t i = h & mask_;
        while (entries_[i].slot != none) i = (i + 1) & mask_;
        entries_[i] = Entry{slot, static_cast<std::uint32_t>(h >> 32), static_cast<std::uint32_t>(h)};
    }

    void grow() {
        std::vector<Entry> old;
        old.swap(entries_);
        entries_.assign(old.empty() ? 1024 : old.size() * 2, Entry{});
        mask_ = entries_.size() - 1;
        for (const Entry& e : old)
            if (e.slot != none) place((std::uint64_t{e.tag} << 32) | e.home, e.slot);
    }

    std::vector<Entry> entries_;
    std::size_t mask_ = 0;
    std::size_t count_ = 0;
};

} // namespace packetmancer::flow
