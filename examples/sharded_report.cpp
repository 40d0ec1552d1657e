// sharded_report: the JSON report of a capture made on several threads by a ShardedEngine,
// checked against the report one Engine makes. Prints the shard count and the report's
// size; exits 1 if the two reports differ, 3 if the capture cannot be read.
//
//     sharded_report CAPTURE [SHARDS]
#include <packetmancer/packetmancer.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace pm = packetmancer;
using Engine = pm::Engine<pm::TcpHealth, pm::DnsHealth>;

std::string one_engine(const char* path) {
    pm::io::CaptureReader reader;
    if (!reader.open(path)) return {};
    Engine engine(pm::flow::TrackerLimits{}, pm::TcpHealth(5), pm::DnsHealth());
    pm::report::JsonReport<Engine> json;
    pm::Frame frame;
    while (reader.next(frame) == pm::io::ReadStatus::frame) engine.process(frame);
    engine.finish([&] { json.drain(engine); });
    json.finish(engine, {path, reader.format(), {}, 0}, {}, pm::io::CaptureReader::link_type_name);
    return json.text();
}

std::string sharded(const char* path, std::size_t shards) {
    std::vector<std::unique_ptr<pm::io::CaptureReader>> owned;
    std::vector<pm::io::CaptureReader*> readers;
    for (std::size_t i = 0; i < shards; ++i) {
        readers.push_back(owned.emplace_back(std::make_unique<pm::io::CaptureReader>()).get());
        if (!readers.back()->open(path)) return {};
    }
    using Sharded = pm::ShardedEngine<pm::TcpHealth, pm::DnsHealth>;
    // Its report() is an engine like Engine<TcpHealth, DnsHealth> (of type Sharded::Shard):
    // read it, or report it, as one engine.
    pm::report::JsonReport<Sharded::Shard> json;
    Sharded engine(shards, pm::flow::TrackerLimits{}, pm::TcpHealth(5), pm::DnsHealth());
    engine.read(readers, [&](std::uint64_t /*frames so far*/) { json.drain(engine.report()); });
    engine.finish([&] { json.drain(engine.report()); });
    json.finish(engine.report(), {path, readers[0]->format(), {}, 0}, {}, pm::io::CaptureReader::link_type_name);
    return json.text();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: sharded_report CAPTURE [SHARDS]\n");
        return 2;
    }
    const std::size_t shards = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
    const std::string expected = one_engine(argv[1]);
    const std::string got = sharded(argv[1], shards);
    if (expected.empty() || got.empty()) {
        std::fprintf(stderr, "sharded_report: %s: cannot read the capture\n", argv[1]);
        return 3;
    }
    std::printf("%zu shards: %zu bytes of JSON, %s\n", shards, got.size(),
                got == expected ? "the same as one engine's" : "DIFFERENT from one engine's");
    return got == expected ? 0 : 1;
}
