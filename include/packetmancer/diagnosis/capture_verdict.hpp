// The capture as a whole: how many conversations reached each severity, which findings
// they share, and which servers and hosts have most unhealthy conversations. Fed one
// closed conversation at a time; memory is bounded (at most `max_endpoints` servers and
// as many hosts are ranked, later ones are counted only in the totals).
#pragma once

#include "packetmancer/detectors/tcp_conversation_health.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/flow/flow_key.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace packetmancer::diagnosis {

// One instance of a finding, with what is needed to explain it later.
struct FindingExample {
    Finding finding;
    std::uint32_t stream = 0;
    net::Endpoint client{};
    net::Endpoint server{};
};

// A finding across the capture: the conversations that have it, and its worst instance.
struct FindingTally {
    std::uint64_t conversations = 0;
    Severity worst = Severity::ok;
    std::optional<FindingExample> example;  // the first conversation at the worst severity
};

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

class CaptureVerdict {
public:
    static constexpr std::size_t max_endpoints = 4096;

    void add(const TcpConversationHealth& c) {
        ++conversations_;
        ++by_severity_[static_cast<std::size_t>(c.severity)];
        std::array<bool, finding_id_count> seen{};
        for (const Finding& f : c.findings) {
            const auto i = static_cast<std::size_t>(f.id);
            FindingTally& t = findings_[i];
            if (!seen[i]) ++t.conversations;
            seen[i] = true;
            if (!t.example || f.severity > t.worst) {
                t.worst = std::max(t.worst, f.severity);
                t.example = FindingExample{f, c.stream, c.client, c.server};
            }
        }
        net::Endpoint host = c.client;
        host.port = 0;
        tally(servers_, c.server, c, Side::client);
        tally(hosts_, host, c, Side::server);
    }

    [[nodiscard]] std::uint64_t conversations() const noexcept { return conversations_; }
    [[nodiscard]] std::uint64_t conversations_at(Severity s) const noexcept {
        return by_severity_[static_cast<std::size_t>(s)];
    }
    [[nodiscard]] Severity severity() const noexcept {
        for (auto s : {Severity::high, Severity::medium, Severity::low})
            if (conversations_at(s)) return s;
        return Severity::ok;
    }
    [[nodiscard]] const FindingTally& finding(FindingId id) const noexcept { return findings_[static_cast<std::size_t>(id)]; }

    // Findings present in the capture, worst first, then by how many conversations have
    // them, then in catalogue order. Capture-quality findings rank after network ones of
    // the same severity.
    [[nodiscard]] std::vector<FindingId> ranked_findings() const {
        std::vector<FindingId> ids;
        for (std::size_t i = 0; i < findings_.size(); ++i)
            if (findings_[i].conversations) ids.push_back(static_cast<FindingId>(i));
        std::sort(ids.begin(), ids.end(), [&](FindingId a, FindingId b) {
            const FindingTally& x = finding(a);
            const FindingTally& y = finding(b);
            if (x.worst != y.worst) return x.worst > y.worst;
            const bool xc = x.example->finding.side == Side::capture, yc = y.example->finding.side == Side::capture;
            if (xc != yc) return !xc;
            if (x.conversations != y.conversations) return x.conversations > y.conversations;
            return a < b;
        });
        return ids;
    }

    // Servers or hosts with unhealthy conversations, most unhealthy first.
    [[nodiscard]] std::vector<const EndpointTally*> ranked_servers(std::size_t n) const { return ranked(servers_, n); }
    [[nodiscard]] std::vector<const EndpointTally*> ranked_hosts(std::size_t n) const { return ranked(hosts_, n); }

private:
    using Tallies = std::unordered_map<net::Endpoint, EndpointTally, flow::EndpointHash>;

    // A server is not blamed for its clients' findings, nor a host for its servers'.
    static void tally(Tallies& tallies, const net::Endpoint& endpoint, const TcpConversationHealth& c, Side not_this_one) {
        auto it = tallies.find(endpoint);
        if (it == tallies.end()) {
            if (tallies.size() >= max_endpoints) return;
            it = tallies.emplace(endpoint, EndpointTally{}).first;
            it->second.endpoint = endpoint;
        }
        EndpointTally& t = it->second;
        ++t.conversations;
        const auto concerns = [&](const Finding& f) {
            return f.side != Side::capture && f.side != not_this_one && f.severity != Severity::ok;
        };
        Severity worst = Severity::ok;
        for (const Finding& f : c.findings)
            if (concerns(f)) worst = std::max(worst, f.severity);
        for (const Finding& f : c.findings) {
            if (!concerns(f)) continue;
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

    [[nodiscard]] static std::vector<const EndpointTally*> ranked(const Tallies& tallies, std::size_t n) {
        std::vector<const EndpointTally*> out;
        for (const auto& [endpoint, t] : tallies)
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

    std::uint64_t conversations_ = 0;
    std::array<std::uint64_t, 4> by_severity_{};
    std::array<FindingTally, finding_id_count> findings_{};
    Tallies servers_;
    Tallies hosts_;
};

} // namespace packetmancer::diagnosis
