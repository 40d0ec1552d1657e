// expect: PacketMancer: ShardedEngine: each shard sees only its share of the TCP conversations
#include <packetmancer/sharded_engine.hpp>

// TCP hooks, but neither the sharding hooks nor a single port: a shard would see only
// part of the conversations it counts.
struct Segments {
    static constexpr std::string_view name = "segments";
    std::uint64_t count = 0;
    void on_tcp(const packetmancer::TcpSegmentEvent&) { ++count; }
};

int main() {
    packetmancer::ShardedEngine<Segments> engine(2, packetmancer::flow::TrackerLimits{}, Segments{});
    (void)engine;
}
