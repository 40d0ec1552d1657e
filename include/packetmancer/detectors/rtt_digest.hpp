// A bounded summary of RTT samples with nearest-rank percentiles. The first
// `exact_capacity` samples are kept as they are, so small samples give exact
// percentiles; past that, samples go into a sparse logarithmic histogram whose
// buckets are 1% wide, so a percentile is within 0.5% and memory stays bounded
// (at most a few hundred buckets, whatever the number of samples).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace packetmancer {

class RttDigest {
public:
    static constexpr std::size_t exact_capacity = 64;

    void add(std::int64_t nanoseconds) {
        ++count_;
        max_ns_ = count_ == 1 ? nanoseconds : std::max(max_ns_, nanoseconds);
        if (buckets_.empty() && exact_.size() < exact_capacity) {
            exact_.push_back(nanoseconds);
            return;
        }
        if (buckets_.empty()) {
            for (const auto v : exact_) add_to_bucket(v);
            exact_.clear();
            exact_.shrink_to_fit();
        }
        add_to_bucket(nanoseconds);
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] std::int64_t max_ns() const noexcept { return max_ns_; }

    // Nearest-rank percentile (the ceil(p/100 * n)-th smallest sample), in nanoseconds.
    [[nodiscard]] std::optional<double> percentile_ns(double p) const {
        if (count_ == 0) return std::nullopt;
        auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
        rank = std::clamp<std::uint64_t>(rank, 1, count_);
        if (buckets_.empty()) {
            std::vector<std::int64_t> sorted = exact_;
            std::sort(sorted.begin(), sorted.end());
            return static_cast<double>(sorted[rank - 1]);
        }
        std::uint64_t seen = 0;
        for (const auto& [bucket, n] : buckets_) {
            seen += n;
            if (seen >= rank) return bucket_value(bucket);
        }
        return static_cast<double>(max_ns_);
    }

private:
    // Bucket 0 holds samples at or below 1 us (and negative ones, from timestamps
    // going backwards); bucket k > 0 holds (1us * r^(k-1), 1us * r^k] with r = 1.01.
    static constexpr double ratio = 1.01;
    static constexpr double floor_ns = 1000.0;

    static std::int32_t bucket_of(std::int64_t ns) {
        if (static_cast<double>(ns) <= floor_ns) return 0;
        return 1 + static_cast<std::int32_t>(std::floor(std::log(static_cast<double>(ns) / floor_ns) / std::log(ratio)));
    }
    static double bucket_value(std::int32_t bucket) {
        if (bucket == 0) return floor_ns;
        // geometric middle of the bucket
        return floor_ns * std::pow(ratio, static_cast<double>(bucket) - 0.5);
    }
    void add_to_bucket(std::int64_t ns) {
        const std::int32_t b = bucket_of(ns);
        auto it = std::lower_bound(buckets_.begin(), buckets_.end(), b,
                                   [](const auto& entry, std::int32_t key) { return entry.first < key; });
        if (it != buckets_.end() && it->first == b) ++it->second;
        else buckets_.insert(it, {b, 1});
    }

    std::uint64_t count_ = 0;
    std::int64_t max_ns_ = 0;
    std::vector<std::int64_t> exact_;
    std::vector<std::pair<std::int32_t, std::uint32_t>> buckets_;
};

} // namespace packetmancer
