// The capture as a whole: how many conversations reached each severity, which findings
// they share, and which servers and hosts have most unhealthy conversations. Fed one
// closed conversation at a time; memory is bounded (at most `max_endpoints` servers and
// as many hosts are tracked, the most troubled kept: see EndpointRanking).
#pragma once

#include "packetmancer/detectors/tcp_conversation_health.hpp"
#include "packetmancer/diagnosis/endpoint_ranking.hpp"
#include "packetmancer/diagnosis/finding.hpp"
#include "packetmancer/net/ip_address.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
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

class CaptureVerdict {
public:
    static constexpr std::size_t max_endpoints = EndpointRanking::default_capacity;

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
        servers_.add(c.server, c, Side::client);
        hosts_.add(host, c, Side::server);
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
    [[nodiscard]] std::vector<const EndpointTally*> ranked_servers(std::size_t n) const { return servers_.ranked(n); }
    [[nodiscard]] std::vector<const EndpointTally*> ranked_hosts(std::size_t n) const { return hosts_.ranked(n); }
    // The rankings themselves: how many endpoints have unhealthy conversations, and
    // whether the bound on endpoints tracked was reached.
    [[nodiscard]] const EndpointRanking& servers() const noexcept { return servers_; }
    [[nodiscard]] const EndpointRanking& hosts() const noexcept { return hosts_; }

private:
    std::uint64_t conversations_ = 0;
    std::array<std::uint64_t, 4> by_severity_{};
    std::array<FindingTally, finding_id_count> findings_{};
    EndpointRanking servers_;
    EndpointRanking hosts_;
};

} // namespace packetmancer::diagnosis
