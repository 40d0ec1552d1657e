// TopCounter: the most frequent keys of a stream in bounded memory (the Space-Saving
// algorithm of Metwally, Agrawal and El Abbadi, 2005). It keeps at most `capacity`
// keys; while no more distinct keys than that were seen, every count is exact. Past
// that, a new key takes the place of the least counted one and inherits its count,
// recorded as `overcount`, so a reported count is never below the true one and at most
// `overcount` above it. Each entry carries a `Detail` the caller fills in (for example
// counts per cause), reset when the entry changes hands.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace packetmancer {

struct NoDetail {};

template <class Key, class Detail = NoDetail, class Hash = std::hash<Key>>
class TopCounter {
public:
    struct Entry {
        Key key{};
        std::uint64_t count = 0;
        std::uint64_t overcount = 0;  // how much of `count` may belong to evicted keys
        Detail detail{};
    };

    explicit TopCounter(std::size_t capacity = 1000) : capacity_(capacity == 0 ? 1 : capacity) {}

    // Adds one occurrence of `key` and lets `update(detail)` record what it was.
    template <class Update>
    void add(const Key& key, Update&& update) {
        if (const auto found = index_.find(key); found != index_.end()) {
            Entry& e = entries_[found->second];
            ++e.count;
            update(e.detail);
            return;
        }
        if (entries_.size() < capacity_) {
            index_.emplace(key, entries_.size());
            entries_.push_back(Entry{key, 1, 0, Detail{}});
            update(entries_.back().detail);
            return;
        }
        // Full: the least counted entry changes hands (the first such, for determinism).
        const auto victim = std::min_element(entries_.begin(), entries_.end(),
                                             [](const Entry& a, const Entry& b) { return a.count < b.count; });
        index_.erase(victim->key);
        index_.emplace(key, static_cast<std::size_t>(victim - entries_.begin()));
        victim->key = key;
        victim->overcount = victim->count;
        ++victim->count;
        victim->detail = Detail{};
        update(victim->detail);
        exact_ = false;
    }
    void add(const Key& key) {
        add(key, [](Detail&) {});
    }

    // The `n` most counted entries, most first; ties in key order.
    [[nodiscard]] std::vector<const Entry*> top(std::size_t n) const {
        std::vector<const Entry*> out;
        out.reserve(entries_.size());
        for (const Entry& e : entries_) out.push_back(&e);
        const auto order = [](const Entry* a, const Entry* b) {
            return a->count != b->count ? a->count > b->count : a->key < b->key;
        };
        const std::size_t keep = std::min(n, out.size());
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), order);
        out.resize(keep);
        return out;
    }

    // True while every count is exact (no more distinct keys than the capacity).
    [[nodiscard]] bool exact() const noexcept { return exact_; }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    std::size_t capacity_;
    std::vector<Entry> entries_;
    std::unordered_map<Key, std::size_t, Hash> index_;
    bool exact_ = true;
};

} // namespace packetmancer
