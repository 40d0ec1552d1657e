// Matching DNS responses to their queries the way Wireshark 4.0 does (packet-dns.c),
// so that response times equal tshark's `dns.time` frame for frame:
//  - a transaction is keyed by the conversation (both endpoints; for TCP, the TCP
//    stream) and the 16-bit message id;
//  - a query whose key has an unanswered transaction younger than 5 s (tshark's
//    dns.retransmission_timer) is a retransmission of it; otherwise it starts a new
//    transaction, replacing the previous one;
//  - the first response to a transaction answers it and is timed from the
//    transaction's first query; later ones with the same key are duplicates;
//  - a response with no transaction is unsolicited.
// Deliberate difference: tshark remembers every transaction of the file; here one is
// forgotten `answer_wait` after its query (60 s unless set), counted unanswered if no
// response came, and the table never holds more than `max_pending` of them, so memory
// stays bounded on any capture. A response later than that is reported unsolicited.
#pragma once

#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/net/ip_address.hpp"
#include "packetmancer/packet.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace packetmancer {

struct DnsLimits {
    std::int64_t answer_wait_ns = 60'000'000'000;  // how long a query waits for its response
    std::size_t max_pending = 1'000'000;           // transactions remembered at once
    std::size_t max_servers = 4096;                // servers with their own statistics
    std::size_t max_names = 1000;                  // names tracked for the failing-names list
    std::size_t max_tcp_streams = 65'536;          // DNS-over-TCP conversations read at once
};

enum class DnsMessageKind : std::uint8_t {
    query,                 // starts a transaction
    retransmitted_query,   // same conversation and id within 5 s, still unanswered
    response,              // the first response to a transaction
    duplicate_response,    // another response to an answered transaction
    unsolicited_response,  // no transaction to answer
};

[[nodiscard]] constexpr const char* dns_message_kind_name(DnsMessageKind kind) noexcept {
    switch (kind) {
    case DnsMessageKind::query: return "query";
    case DnsMessageKind::retransmitted_query: return "retransmitted_query";
    case DnsMessageKind::response: return "response";
    case DnsMessageKind::duplicate_response: return "duplicate_response";
    case DnsMessageKind::unsolicited_response: return "unsolicited_response";
    }
    return "unknown";
}

namespace dns_detail {

inline constexpr std::int64_t retransmission_window_ns = 5'000'000'000;  // tshark's default
inline constexpr std::uint32_t not_tcp = 0xffffffffu;

struct TransactionKey {
    flow::FlowKey endpoints{};
    std::uint32_t tcp_stream = not_tcp;  // the TCP conversation id, or not_tcp for UDP
    std::uint16_t id = 0;

    friend bool operator==(const TransactionKey&, const TransactionKey&) = default;
};

struct TransactionKeyHash {
    [[nodiscard]] std::uint64_t operator()(const TransactionKey& key) const noexcept {
        const std::uint64_t h = flow::FlowKeyHash{}(key.endpoints);
        return flow::FlowKeyHash::mix(h, (std::uint64_t{key.tcp_stream} << 16) | key.id);
    }
};

struct Transaction {
    Timestamp query_time{};
    std::uint64_t query_frame = 0;
    std::uint64_t serial = 0;  // tells a live transaction from the one its key held before
    net::Endpoint client{};
    net::Endpoint server{};
    std::string name;          // the first question's name, "" when it did not parse
    bool answered = false;
};

// What a message did to the table.
struct Match {
    DnsMessageKind kind = DnsMessageKind::query;
    const Transaction* transaction = nullptr;  // null for an unsolicited response
    std::int64_t response_time_ns = 0;         // for responses and duplicates
};

class TransactionTable {
public:
    explicit TransactionTable(const DnsLimits& limits) : limits_(limits) {}

    // Forgets transactions whose wait is over (and the oldest ones past max_pending),
    // calling `on_forget(transaction)` for each: the caller counts the unanswered ones.
    template <class OnForget>
    void expire(Timestamp now, OnForget&& on_forget) {
        while (!queue_.empty() && (nanoseconds_between(queue_.front().deadline, now) > 0 ||
                                   table_.size() > limits_.max_pending || queue_.size() > 4 * limits_.max_pending)) {
            const Deadline d = queue_.front();
            queue_.pop_front();
            const auto it = table_.find(d.key);
            if (it == table_.end() || it->second.serial != d.serial) continue;  // replaced since
            on_forget(it->second);
            table_.erase(it);
        }
    }

    // `on_replace(old)` is called when a query ends a transaction that is still in the table.
    template <class OnReplace>
    Match query(const TransactionKey& key, Timestamp now, std::uint64_t frame, const net::Endpoint& client,
                const net::Endpoint& server, std::string_view name, OnReplace&& on_replace) {
        auto [it, inserted] = table_.try_emplace(key);
        Transaction& t = it->second;
        if (!inserted) {
            if (!t.answered && nanoseconds_between(t.query_time, now) < retransmission_window_ns)
                return {DnsMessageKind::retransmitted_query, &t, 0};
            on_replace(t);
        }
        t.query_time = now;
        t.query_frame = frame;
        t.serial = ++serial_;
        t.client = client;
        t.server = server;
        t.name.assign(name);
        t.answered = false;
        queue_.push_back({saturating_add(now, limits_.answer_wait_ns), key, t.serial});
        return {DnsMessageKind::query, &t, 0};
    }

    Match response(const TransactionKey& key, Timestamp now) {
        const auto it = table_.find(key);
        if (it == table_.end()) return {DnsMessageKind::unsolicited_response, nullptr, 0};
        Transaction& t = it->second;
        const auto kind = t.answered ? DnsMessageKind::duplicate_response : DnsMessageKind::response;
        t.answered = true;
        return {kind, &t, nanoseconds_between(t.query_time, now)};
    }

    // Calls f(transaction) for every transaction still remembered, then forgets them all.
    template <class F>
    void drain(F&& f) {
        for (const auto& d : queue_) {
            const auto it = table_.find(d.key);
            if (it == table_.end() || it->second.serial != d.serial) continue;
            f(it->second);
            table_.erase(it);
        }
        queue_.clear();
    }

    [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }

private:
    struct Deadline {
        Timestamp deadline;
        TransactionKey key;
        std::uint64_t serial;
    };

    [[nodiscard]] static Timestamp saturating_add(Timestamp t, std::int64_t ns) noexcept {
        Timestamp out = t;
        out.seconds += ns / 1'000'000'000;
        std::uint64_t nanos = out.nanoseconds + static_cast<std::uint64_t>(ns % 1'000'000'000);
        if (nanos >= 1'000'000'000) {
            nanos -= 1'000'000'000;
            ++out.seconds;
        }
        out.nanoseconds = static_cast<std::uint32_t>(nanos);
        return out;
    }

    DnsLimits limits_;
    std::unordered_map<TransactionKey, Transaction, TransactionKeyHash> table_;
    std::deque<Deadline> queue_;  // in query order: deadlines mostly ascending
    std::uint64_t serial_ = 0;
};

} // namespace dns_detail
} // namespace packetmancer
