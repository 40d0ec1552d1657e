// StableVector<T>: a growable array whose elements never move, indexed in two loads.
// The conversation table hands out references to its slots while it keeps growing, so
// a std::vector (which moves elements when it grows) will not do; std::deque keeps
// them in place but its operator[] costs some thirty instructions of iterator
// arithmetic per packet. Here elements live in fixed blocks of 2^block_bits, and
// element i is blocks_[i >> block_bits][i & mask].
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace packetmancer::detail {

template <class T, unsigned block_bits = 8>
class StableVector {
public:
    static constexpr std::size_t block_size = std::size_t{1} << block_bits;

    StableVector() = default;
    StableVector(StableVector&& other) noexcept
        : blocks_(std::move(other.blocks_)), size_(std::exchange(other.size_, 0)) {}
    StableVector& operator=(StableVector&& other) noexcept {
        if (this == &other) return *this;
        clear();
        blocks_ = std::move(other.blocks_);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }
    StableVector(const StableVector& other) { *this = other; }
    StableVector& operator=(const StableVector& other) {
        if (this == &other) return *this;
        clear();
        for (std::size_t i = 0; i < other.size(); ++i) emplace_back(other[i]);
        return *this;
    }
    ~StableVector() { clear(); }

    [[nodiscard]] T& operator[](std::size_t i) noexcept { return block(i)[i & (block_size - 1)]; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return block(i)[i & (block_size - 1)]; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    template <class... Args>
    T& emplace_back(Args&&... args) {
        if ((size_ & (block_size - 1)) == 0 && (size_ >> block_bits) == blocks_.size())
            blocks_.push_back(std::make_unique<Storage[]>(block_size));
        T* place = block(size_) + (size_ & (block_size - 1));
        ::new (static_cast<void*>(place)) T(std::forward<Args>(args)...);
        ++size_;
        return *place;
    }

    // Destroys every element; the blocks are freed too.
    void clear() noexcept {
        for (std::size_t i = size_; i-- > 0;) (*this)[i].~T();
        size_ = 0;
        blocks_.clear();
    }

private:
    // Raw storage: elements are constructed one by one as the vector grows.
    struct Storage {
        alignas(T) unsigned char bytes[sizeof(T)];
    };

    [[nodiscard]] T* block(std::size_t i) const noexcept {
        return std::launder(reinterpret_cast<T*>(blocks_[i >> block_bits].get()));
    }

    std::vector<std::unique_ptr<Storage[]>> blocks_;
    std::size_t size_ = 0;
};

} // namespace packetmancer::detail
