// LazyBox<T>: a T allocated on first use, copied deeply. For per-conversation state that
// most conversations never need (8 bytes until used), inside detectors that must stay
// copyable like every other detector.
#pragma once

#include <memory>

namespace packetmancer::detail {

template <class T>
class LazyBox {
public:
    LazyBox() = default;
    LazyBox(const LazyBox& other) : owned_(other.owned_ ? std::make_unique<T>(*other.owned_) : nullptr) {}
    LazyBox(LazyBox&&) noexcept = default;
    LazyBox& operator=(const LazyBox& other) {
        if (this != &other) owned_ = other.owned_ ? std::make_unique<T>(*other.owned_) : nullptr;
        return *this;
    }
    LazyBox& operator=(LazyBox&&) noexcept = default;
    ~LazyBox() = default;

    explicit operator bool() const noexcept { return owned_ != nullptr; }
    const T* operator->() const noexcept { return owned_.get(); }
    // The T, allocated now if it was not yet.
    T& get() {
        if (!owned_) owned_ = std::make_unique<T>();
        return *owned_;
    }
    // Hands the T over (null if never used) and leaves the box empty.
    std::unique_ptr<T> release() noexcept { return std::move(owned_); }

private:
    std::unique_ptr<T> owned_;
};

} // namespace packetmancer::detail
