// The servers (or client hosts) of a capture by their conversations, for the verdict's
// "which servers are in trouble". Memory is bounded: at most `capacity` endpoints are
// tracked. Past that, an endpoint with an unhealthy conversation takes the place of the
// least troubled one tracked (a healthy one first), so a broken server is never dropped
// in favour of healthy ones, whatever order they come in; conversations of endpoints left
// out are counted, and `exact()` turns false: the counts are then lower bounds.
#pragma once

#include "packetmancer/detectors/tcp_conversation_health.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace packetmancer::diagnosis {

// A server (address and port) or a host (client address), by its conversations.
struct EndpointTally {
    net::Endpoint endpoint{};
    std::uint64_t conversations = 0;
    std::uint64_t unhealthy = 0;  // with a network finding of severity low or more that concerns it
    std::array<std::uint32_t, finding_id_count> findings{};  // conversations where it is the worst finding
    std::uint64_t loss_towards_server = 0;  // conversations losing client-to-server segments
    std::uint64_t loss_towards_client = 0;
    Severity worst = Severity::ok;

    // The finding most of its unhealthy conversations have (ties: catalogue order).
    [[nodiscard]] FindingId main_finding() const noexcept {
        std::size_t best = 0;
        for (std::size_t i = 1; i < findings.size(); ++i)
            if (findings[i] > findings[best]) best = i;
        return static_cast<FindingId>(best);
    }
};

class EndpointRanking {
public:
    static constexpr std::size_t default_capacity = 4096;

    explicit EndpointRanking(std::size_t capacity = default_capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

    // Counts conversation `c` for `endpoint`; its findings on the side `not_this_one`
    // (a server is not blamed for its clients' findings, nor a host for its servers') do
    // not count against it.
    void add(const net::Endpoint& endpoint, const TcpConversationHealth& c, Side not_this_one) {
        const Severity worst = worst_concerning(c, not_this_one);
        auto it = tallies_.find(endpoint);
        if (it == tallies_.end()) {
            if (tallies_.size() >= capacity_ && !make_room(worst)) {
                ++conversations_left_out_;
                return;
            }
            it = tallies_.emplace(endpoint, EndpointTally{}).first;
            it->second.endpoint = endpoint;
            if (full_) by_trouble_.insert(trouble(it->second));
        }
        EndpointTally& t = it->second;
        auto node = full_ ? by_trouble_.extract(trouble(t)) : decltype(by_trouble_)::node_type{};
        count(t, c, not_this_one, worst);
        if (node) {
            node.value() = trouble(t);
            by_trouble_.insert(std::move(node));
        }
    }

    // The `n` endpoints with unhealthy conversations, most troubled first.
    [[nodiscard]] std::vector<const EndpointTally*> ranked(std::size_t n) const {
        std::vector<const EndpointTally*> out;
        for (const auto& [endpoint, t] : tallies_)
            if (t.unhealthy) out.push_back(&t);
        std::sort(out.begin(), out.end(), [](const EndpointTally* a, const EndpointTally* b) {
            if (a->worst != b->worst) return a->worst > b->worst;
            if (a->unhealthy != b->unhealthy) return a->unhealthy > b->unhealthy;
            if (a->conversations != b->conversations) return a->conversations > b->conversations;
            return a->endpoint < b->endpoint;
        });
        if (out.size() > n) out.resize(n);
        return out;
    }

    // How many tracked endpoints have an unhealthy conversation (more than a list of the
    // first n shows, perhaps).
    [[nodiscard]] std::size_t unhealthy_endpoints() const noexcept {
        return static_cast<std::size_t>(
            std::count_if(tallies_.begin(), tallies_.end(), [](const auto& entry) { return entry.second.unhealthy > 0; }));
    }
    // False once an endpoint was left out or replaced: counts are lower bounds, and an
    // endpoint no longer tracked is missing from the ranking.
    [[nodiscard]] bool exact() const noexcept { return conversations_left_out_ == 0 && endpoints_replaced_ == 0; }
    [[nodiscard]] std::uint64_t conversations_left_out() const noexcept { return conversations_left_out_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    // How troubled an endpoint is, least first: healthy ones lead, the way the ranking orders.
    using Trouble = std::tuple<Severity, std::uint64_t, std::uint64_t, net::Endpoint>;
    [[nodiscard]] static Trouble trouble(const EndpointTally& t) noexcept {
        return {t.worst, t.unhealthy, t.conversations, t.endpoint};
    }

    [[nodiscard]] static bool concerns(const Finding& f, Side not_this_one) noexcept {
        return f.side != Side::capture && f.side != not_this_one && f.severity != Severity::ok;
    }
    [[nodiscard]] static Severity worst_concerning(const TcpConversationHealth& c, Side not_this_one) noexcept {
        Severity worst = Severity::ok;
        for (const Finding& f : c.findings)
            if (concerns(f, not_this_one)) worst = std::max(worst, f.severity);
        return worst;
    }

    static void count(EndpointTally& t, const TcpConversationHealth& c, Side not_this_one, Severity worst) {
        ++t.conversations;
        for (const Finding& f : c.findings) {
            if (!concerns(f, not_this_one)) continue;
            // The findings that make the conversation as bad as it is name its trouble.
            if (f.severity == worst) ++t.findings[static_cast<std::size_t>(f.id)];
            if (f.id == FindingId::loss_retransmissions) {
                if (f.direction == 0) ++t.loss_towards_server;
                else ++t.loss_towards_client;
            }
        }
        if (worst == Severity::ok) return;
        ++t.unhealthy;
        t.worst = std::max(t.worst, worst);
    }

    // The table is full: room for a newcomer whose conversation is `worst`, if it is more
    // troubled than the least troubled endpoint tracked. Ordering the tracked endpoints
    // costs a tree update per conversation, so it starts only once the table is full.
    bool make_room(Severity worst) {
        if (worst == Severity::ok) return false;
        if (!full_) {
            for (const auto& entry : tallies_) by_trouble_.insert(trouble(entry.second));
            full_ = true;
        }
        const Trouble& least = *by_trouble_.begin();
        if (std::tuple(std::get<0>(least), std::get<1>(least)) >= std::tuple(worst, std::uint64_t{1})) return false;
        tallies_.erase(std::get<3>(least));
        by_trouble_.erase(by_trouble_.begin());
        ++endpoints_replaced_;
        return true;
    }

    std::size_t capacity_;
    std::unordered_map<net::Endpoint, EndpointTally, flow::EndpointHash> tallies_;
    bool full_ = false;
    std::set<Trouble> by_trouble_;  // every tracked endpoint, once the table has been full
    std::uint64_t conversations_left_out_ = 0;
    std::uint64_t endpoints_replaced_ = 0;
};

} // namespace packetmancer::diagnosis
