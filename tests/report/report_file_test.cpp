// report/report_file.hpp: a report file is written whole or not at all, beside its
// target and renamed into place, and a capture can be told from any name of it.
#include <packetmancer/report/report_file.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
using packetmancer::report::identity_of;
using packetmancer::report::ReportFile;

namespace {

fs::path fresh_directory(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / "packetmancer-report-file-test" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string contents(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(ReportFile& f, const std::string& text) { std::fputs(text.c_str(), f.stream()); }

std::size_t files_in(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

} // namespace

TEST_CASE("nothing appears under the name until commit; then the whole report does") {
    const fs::path dir = fresh_directory("commit");
    const fs::path target = dir / "report.json";
    ReportFile f;
    REQUIRE(f.open(target.string()));
    put(f, "{\"whole\": true}\n");
    CHECK_FALSE(fs::exists(target));
    CHECK(files_in(dir) == 1);  // the temporary file, beside the target
    REQUIRE(f.commit());
    CHECK(contents(target) == "{\"whole\": true}\n");
    CHECK(files_in(dir) == 1);
}

TEST_CASE("a discarded report leaves the previous one as it was, and no temporary file") {
    const fs::path dir = fresh_directory("discard");
    const fs::path target = dir / "report.json";
    std::ofstream(target) << "previous good report";
    {
        ReportFile f;
        REQUIRE(f.open(target.string()));
        put(f, "half a rep");
        // Destroyed without commit: a failure, an exception, a run that stopped.
    }
    CHECK(contents(target) == "previous good report");
    CHECK(files_in(dir) == 1);
}

TEST_CASE("through a symlink, the file it names is replaced and the link stays") {
    const fs::path dir = fresh_directory("symlink");
    std::ofstream(dir / "real.json") << "old";
    fs::create_symlink(dir / "real.json", dir / "link.json");
    ReportFile f;
    REQUIRE(f.open((dir / "link.json").string()));
    put(f, "new");
    REQUIRE(f.commit());
    CHECK(fs::is_symlink(dir / "link.json"));
    CHECK(contents(dir / "real.json") == "new");
}

TEST_CASE("what is not a regular file is written directly: /dev/null takes the report") {
    ReportFile f;
    REQUIRE(f.open("/dev/null"));
    put(f, "gone");
    CHECK(f.commit());
}

TEST_CASE("a failure gives the system's reason") {
    const fs::path dir = fresh_directory("reasons");
    ReportFile f;
    CHECK_FALSE(f.open((dir / "missing" / "report.json").string()));
    CHECK(f.error() == "No such file or directory");
    CHECK_FALSE(f.open(dir.string()));
    CHECK(f.error() == "Is a directory");
    ReportFile full;
    REQUIRE(full.open("/dev/full"));
    put(full, "no room");
    CHECK_FALSE(full.commit());
    CHECK(full.error() == "No space left on device");
}

TEST_CASE("a file has one identity whatever name or link reaches it") {
    const fs::path dir = fresh_directory("identity");
    std::ofstream(dir / "capture.pcap") << "bytes";
    fs::create_symlink(dir / "capture.pcap", dir / "symlink.pcap");
    fs::create_hard_link(dir / "capture.pcap", dir / "hardlink.pcap");
    std::ofstream(dir / "other.pcap") << "bytes";
    const auto capture = identity_of((dir / "capture.pcap").string());
    REQUIRE(capture);
    CHECK(identity_of((dir / "symlink.pcap").string()) == capture);
    CHECK(identity_of((dir / "hardlink.pcap").string()) == capture);
    CHECK(identity_of((dir / "other.pcap").string()) != capture);
    CHECK_FALSE(identity_of((dir / "missing.pcap").string()));
}
