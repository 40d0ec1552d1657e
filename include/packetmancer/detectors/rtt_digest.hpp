// A bounded summary of RTT samples with nearest-rank percentiles. The first
// `exact_capacity` samples are kept as they are, so small samples give exact
// percentiles; past that, samples go into a sparse logarithmic histogram whose buckets
// are 4% wide, so a percentile is within 2%, and clamped to the smallest and largest
// sample. 4% rather than finer because the histogram holds at most `max_buckets`
// buckets, and 256 of them then span 4.4 decades (1.04^256 = 23,000x): an RTT that swings
// from a LAN's 50 us to a bloated queue's second still has every percentile right. Past
// that, the two lowest buckets merge, which keeps the upper percentiles (the ones that
// show trouble) exact to the bucket. One vector serves both forms, so an idle digest
// costs 56 bytes.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace packetmancer {

class RttDigest {
public:
    static constexpr std::size_t exact_capacity = 64;
    static constexpr std::size_t max_buckets = 256;
    static constexpr std::size_t first_capacity = 3;

    void add(std::int64_t nanoseconds) {
        ++count_;
        max_ns_ = count_ == 1 ? nanoseconds : std::max(max_ns_, nanoseconds);
        min_ns_ = count_ == 1 ? nanoseconds : std::min(min_ns_, nanoseconds);
        if (!histogram_ && values_.size() < exact_capacity) {
            // Room for three at the first: most digests of short conversations hold 1 to 3
            // samples, which would otherwise take up to two more allocations, and three
            // fill glibc's smallest chunk (24 usable bytes), as much memory as one takes
            // (a SYN flood keeps half a million digests of one sample).
            if (values_.capacity() == 0) values_.reserve(first_capacity);
            values_.push_back(static_cast<std::uint64_t>(nanoseconds));
            return;
        }
        if (!histogram_) {
            std::vector<std::uint64_t> samples;
            samples.swap(values_);
            histogram_ = true;
            for (const auto v : samples) add_to_bucket(static_cast<std::int64_t>(v));
        }
        add_to_bucket(nanoseconds);
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] std::int64_t max_ns() const noexcept { return max_ns_; }
    [[nodiscard]] std::int64_t min_ns() const noexcept { return min_ns_; }

    // Nearest-rank percentile (the ceil(p/100 * n)-th smallest sample), in nanoseconds.
    [[nodiscard]] std::optional<double> percentile_ns(double p) const { return percentiles_ns(std::array{p})[0]; }

    // Several percentiles at once, as percentile_ns gives each: the exact form is sorted
    // once for all of them (a report asks for p50, p95 and p99 of three digests per
    // conversation).
    template <std::size_t N>
    [[nodiscard]] std::array<std::optional<double>, N> percentiles_ns(const std::array<double, N>& ps) const {
        std::array<std::optional<double>, N> result{};
        if (count_ == 0) return result;
        const auto rank_of = [this](double p) {
            const auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
            return std::clamp<std::uint64_t>(rank, 1, count_);
        };
        if (!histogram_) {
            // At most exact_capacity samples: sorted on the stack, no allocation. Only the
            // first count_ elements are written and read.
            std::array<std::int64_t, exact_capacity> samples;
            const auto end = std::transform(values_.begin(), values_.end(), samples.begin(),
                                            [](std::uint64_t v) { return static_cast<std::int64_t>(v); });
            std::sort(samples.begin(), end);
            for (std::size_t i = 0; i < N; ++i) result[i] = static_cast<double>(samples[rank_of(ps[i]) - 1]);
            return result;
        }
        for (std::size_t i = 0; i < N; ++i) {
            const std::uint64_t rank = rank_of(ps[i]);
            std::uint64_t seen = 0;
            result[i] = static_cast<double>(max_ns_);
            for (const auto entry : values_) {
                seen += count_of(entry);
                if (seen >= rank) {
                    result[i] = std::clamp(bucket_value(bucket_of_entry(entry)), static_cast<double>(min_ns_),
                                           static_cast<double>(max_ns_));
                    break;
                }
            }
        }
        return result;
    }

private:
    // Bucket 0 holds samples at or below 1 us (and negative ones, from timestamps going
    // backwards); bucket k > 0 holds (1us * r^(k-1), 1us * r^k] with r = 1.04.
    static constexpr double ratio = 1.04;
    static constexpr double floor_ns = 1000.0;

    // A histogram entry packs the bucket (high 32 bits) and its count (low 32 bits).
    static std::uint32_t bucket_of_entry(std::uint64_t entry) noexcept { return static_cast<std::uint32_t>(entry >> 32); }
    static std::uint32_t count_of(std::uint64_t entry) noexcept { return static_cast<std::uint32_t>(entry); }

    static std::uint32_t bucket_of(std::int64_t ns) {
        if (static_cast<double>(ns) <= floor_ns) return 0;
        return 1 + static_cast<std::uint32_t>(std::floor(std::log(static_cast<double>(ns) / floor_ns) / std::log(ratio)));
    }
    static double bucket_value(std::uint32_t bucket) {
        if (bucket == 0) return floor_ns;
        return floor_ns * std::pow(ratio, static_cast<double>(bucket) - 0.5);  // geometric middle
    }

    void add_to_bucket(std::int64_t ns) {
        const std::uint32_t b = bucket_of(ns);
        auto it = std::lower_bound(values_.begin(), values_.end(), std::uint64_t{b} << 32);
        if (it != values_.end() && bucket_of_entry(*it) == b) {
            if (count_of(*it) != 0xFFFFFFFFu) ++*it;
            return;
        }
        values_.insert(it, (std::uint64_t{b} << 32) | 1u);
        if (values_.size() > max_buckets) {
            // Merge the lowest bucket into the next one up.
            const std::uint64_t merged = std::min<std::uint64_t>(
                std::uint64_t{count_of(values_[0])} + count_of(values_[1]), 0xFFFFFFFFu);
            values_[1] = (values_[1] & 0xFFFFFFFF00000000ull) | merged;
            values_.erase(values_.begin());
        }
    }

    std::uint64_t count_ = 0;
    std::int64_t max_ns_ = 0;
    std::int64_t min_ns_ = 0;
    std::vector<std::uint64_t> values_;  // samples (exact form) or packed buckets
    bool histogram_ = false;
};

} // namespace packetmancer
