// packetmancer: TCP and DNS health of a packet capture, on the console and as JSON.
// A small tool over the library: Engine<TcpHealth, DnsHealth> (one per thread under a
// ShardedEngine when there are several threads), the capture reader and the report
// writers do the work; this file parses options and maps outcomes to exit codes.
#include "progress_line.hpp"

#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <sys/stat.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <unistd.h>

namespace {

namespace pm = packetmancer;

enum ExitCode : int {
    analysed = 0,
    usage_error = 2,
    unreadable_input = 3,
    damaged_input = 4,
    output_error = 5,
    severity_reached = 6,
};

constexpr std::string_view usage_text =
    "usage: packetmancer --file PATH|- [--top N] [--json PATH|-] [--idle-timeout SECONDS]\n"
    "                    [--max-conversations N] [--fail-on low|medium|high] [--lang en|es]\n"
    "                    [--threads N] [--no-color] [--quiet]\n"
    "\n"
    "Reads a pcap or pcapng capture (\"-\" for standard input) and reports the health of\n"
    "every TCP conversation: retransmissions, out-of-order and lost segments, duplicate\n"
    "ACKs, zero windows, resets and RTT, counted as Wireshark's TCP analysis counts them,\n"
    "and of name resolution: DNS queries unanswered or failed (by rcode), response times.\n"
    "It leads with a verdict: what is wrong, where, how sure, and which frames show it.\n"
    "\n"
    "options:\n"
    "  --file PATH|-   capture to read (required)\n"
    "  --top N         conversations to list, least healthy first (default 5)\n"
    "  --json PATH|-   also write the full JSON report to PATH (\"-\": standard output,\n"
    "                  which then carries only the JSON)\n"
    "  --idle-timeout SECONDS\n"
    "                  close a conversation silent for this long (default 300; 0: never)\n"
    "  --max-conversations N\n"
    "                  live conversations at most (default 500000); past it the least\n"
    "                  recently active is closed early and the report says so\n"
    "  --fail-on SEVERITY\n"
    "                  exit with code 6 when a TCP conversation reaches SEVERITY (low,\n"
    "                  medium or high), for scripts and CI\n"
    "  --lang en|es    language of the explanations (default: from LC_ALL, LC_MESSAGES\n"
    "                  or LANG; English unless it names Spanish); JSON keys and ids stay\n"
    "                  English\n"
    "  --threads N     threads to use, 1 to 64 (default: up to 4 for a capture file of\n"
    "                  64 MiB or more, else 1); each reads the file and analyses its share\n"
    "                  of the TCP conversations, and N-1 helpers write the JSON report's\n"
    "                  conversations; the reports are the same for every N unless\n"
    "                  --max-conversations is reached (each thread gets 1/N of it);\n"
    "                  standard input is read on one thread\n"
    "  --no-color      no colour, even on a terminal (NO_COLOR in the environment works too)\n"
    "  --quiet         no progress line (shown on a terminal when reading takes over a second)\n"
    "  --help          this text\n"
    "  --version       the version\n"
    "\n"
    "exit codes:\n"
    "  0  the capture was analysed\n"
    "  2  usage error\n"
    "  3  the input cannot be opened, is not a capture, or has a link type we do not decode\n"
    "  4  the capture is damaged: everything before the damage is reported, with where\n"
    "     reading stopped\n"
    "  5  the JSON report cannot be written\n"
    "  6  --fail-on: a conversation reached that severity (codes 3 to 5 take precedence)\n";

struct Options {
    std::string file;
    std::string json;
    std::size_t top = 5;
    pm::flow::TrackerLimits limits{};
    bool no_colour = false;
    bool quiet = false;
    std::size_t threads = 0;  // 0: chosen by the capture's size (see automatic_threads)
    std::optional<pm::diagnosis::Severity> fail_on;
    pm::diagnosis::Language language = pm::diagnosis::language_from_environment();
};

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "packetmancer: %s\n", message.c_str());
    return code;
}

bool parse_count(std::string_view text, std::size_t& out) {
    if (text.empty() || text.size() > 9) return false;
    std::size_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    out = v;
    return true;
}

// Returns -1 when the options are fine, otherwise the exit code to leave with.
int parse(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&](std::string_view name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
            return analysed;
        }
        if (arg == "--version") {
            std::printf("packetmancer %.*s\n", static_cast<int>(pm::version.size()), pm::version.data());
            return analysed;
        }
        if (arg == "--no-color" || arg == "--no-colour") {
            options.no_colour = true;
        } else if (arg == "--quiet") {
            options.quiet = true;
        } else if (arg == "--file") {
            const char* v = value(arg);
            if (!v) return fail(usage_error, "--file needs a path (or - for standard input)");
            options.file = v;
        } else if (arg == "--json") {
            const char* v = value(arg);
            if (!v) return fail(usage_error, "--json needs a path (or - for standard output)");
            options.json = v;
        } else if (arg == "--idle-timeout") {
            const char* v = value(arg);
            std::size_t seconds = 0;
            if (!v || !parse_count(v, seconds))
                return fail(usage_error, "--idle-timeout needs whole seconds, for example --idle-timeout 300");
            options.limits.idle_timeout_ns = static_cast<std::int64_t>(seconds) * 1'000'000'000;
        } else if (arg == "--max-conversations") {
            const char* v = value(arg);
            std::size_t n = 0;
            if (!v || !parse_count(v, n) || n == 0)
                return fail(usage_error, "--max-conversations needs a positive whole number");
            options.limits.max_conversations = n;
        } else if (arg == "--fail-on") {
            const char* v = value(arg);
            const auto level = v ? pm::diagnosis::parse_severity(v) : std::nullopt;
            if (!level || *level == pm::diagnosis::Severity::ok)
                return fail(usage_error, "--fail-on needs a severity: low, medium or high");
            options.fail_on = level;
        } else if (arg == "--lang") {
            const char* v = value(arg);
            const auto language = v ? pm::diagnosis::parse_language(v) : std::nullopt;
            if (!language) return fail(usage_error, "--lang needs a language: en or es");
            options.language = *language;
        } else if (arg == "--threads") {
            const char* v = value(arg);
            if (!v || !parse_count(v, options.threads) || options.threads == 0 || options.threads > 64)
                return fail(usage_error, "--threads needs a whole number from 1 to 64");
        } else if (arg == "--top") {
            const char* v = value(arg);
            if (!v || !parse_count(v, options.top))
                return fail(usage_error, "--top needs a whole number, for example --top 10");
        } else {
            return fail(usage_error, fmt::format("unknown option '{}' (see --help)", arg));
        }
    }
    if (options.file.empty()) return fail(usage_error, "--file is required (see --help)");
    return -1;
}

bool use_colour(const Options& options) {
    if (options.no_colour || options.json == "-") return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

// The progress line goes to a terminal only: never when the report or standard error is
// piped or redirected, never with --quiet. PACKETMANCER_PROGRESS_AFTER_MS changes the
// one second it waits (the CLI test sets 0).
packetmancer_cli::ProgressLine make_progress_line(const Options& options) {
    const bool enabled = !options.quiet && ::isatty(STDERR_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
    std::uint64_t size = 0;
    struct stat st {};
    if (options.file != "-" && ::stat(options.file.c_str(), &st) == 0 && S_ISREG(st.st_mode))
        size = static_cast<std::uint64_t>(st.st_size);
    std::size_t after_ms = 1000;
    if (const char* after = std::getenv("PACKETMANCER_PROGRESS_AFTER_MS")) (void)parse_count(after, after_ms);
    return packetmancer_cli::ProgressLine(enabled, size, std::chrono::milliseconds(after_ms));
}

// Without --threads: one thread for small captures, where starting more costs more
// than it saves; for a large file, one per core, at most 4 (past that the thread
// reading the capture is the limit).
std::size_t automatic_threads(const Options& options) {
    constexpr std::uint64_t large_capture_bytes = 64ull << 20;
    struct stat st {};
    if (options.file == "-" || ::stat(options.file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 1;
    if (static_cast<std::uint64_t>(st.st_size) < large_capture_bytes) return 1;
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(cores, 1, 4);
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    if (const int code = parse(argc, argv, options); code >= 0) return code;

    pm::io::CaptureReader reader;
    // A regular file is mapped and read in place; PACKETMANCER_NO_MMAP=1 reads it as a
    // stream instead (libpcap for classic pcap), with the same results: for comparisons.
    const char* no_mmap = std::getenv("PACKETMANCER_NO_MMAP");
    if (!reader.open(options.file, {.map_file = !(no_mmap && *no_mmap)}))
        return fail(unreadable_input, fmt::format("{}: {}", options.file, reader.error()));
    if (!pm::net::is_supported_link_type(reader.link_type()))
        return fail(unreadable_input, fmt::format("{}: link type {} ({}) is not supported", options.file,
                                                  reader.link_type(),
                                                  pm::io::CaptureReader::link_type_name(reader.link_type())));

    // The JSON report streams while the capture is read, so open its file first: a
    // path that cannot be written fails before any work is done.
    std::FILE* json_out = nullptr;
    if (options.json == "-") {
        json_out = stdout;
    } else if (!options.json.empty()) {
        json_out = std::fopen(options.json.c_str(), "wb");
        if (!json_out) return fail(output_error, fmt::format("{}: cannot write the JSON report", options.json));
    }

    // With more than one thread, each analyses its share of the TCP conversations from its
    // own reader of the file (standard input can be read only once: one thread reads it).
    const std::size_t threads = options.threads ? options.threads : automatic_threads(options);
    const std::size_t shards = options.file == "-" ? 1 : threads;
    std::vector<std::unique_ptr<pm::io::CaptureReader>> more_readers;
    std::vector<pm::io::CaptureReader*> readers{&reader};
    for (std::size_t i = 1; i < shards; ++i) {
        auto& more = more_readers.emplace_back(std::make_unique<pm::io::CaptureReader>());
        if (!more->open(options.file, {.map_file = !(no_mmap && *no_mmap)}))
            return fail(unreadable_input, fmt::format("{}: {}", options.file, more->error()));
        readers.push_back(more.get());
    }

    using Engine = pm::Engine<pm::TcpHealth, pm::DnsHealth>;
    pm::ShardedEngine<pm::TcpHealth, pm::DnsHealth> sharded(shards, options.limits, pm::TcpHealth(options.top),
                                                            pm::DnsHealth());
    Engine& engine = sharded.report();
    const pm::report::ReportOptions report_options{options.top, options.language};
    pm::report::JsonReport<Engine> json(json_out, report_options, json_out ? threads - 1 : 0);
    // Finished conversations are written (or, without --json, dropped) as they come, so
    // memory follows the live conversations only.
    const auto drain = [&] {
        if (json_out) json.drain(engine);
        else (void)engine.get<pm::TcpHealth>().take_finished();
    };
    pm::Frame frame;
    pm::io::ReadStatus status;
    std::uint64_t frames = 0;
    auto progress = make_progress_line(options);
    if (shards > 1) {
        try {
            status = sharded.read(readers, [&](std::uint64_t read_so_far) {
                drain();
                progress.update(read_so_far, reader.offset());
            });
        } catch (const std::runtime_error& e) {
            // The readers saw different captures: no report. A JSON file already streamed
            // into is removed rather than left looking like one (a stream cannot be).
            if (json_out && json_out != stdout) std::remove(options.json.c_str());
            return fail(damaged_input, fmt::format("{}: {}", options.file, e.what()));
        }
        progress.finish();
        sharded.finish(drain);
    } else {
        while ((status = reader.next(frame)) == pm::io::ReadStatus::frame) {
            engine.process(frame);
            if (++frames % 4096 == 0) {
                drain();
                progress.update(frames, reader.offset());
            }
        }
        progress.finish();
        engine.finish(drain);
    }

    pm::report::CaptureInfo info{options.file == "-" ? "(standard input)" : options.file, reader.format(), {},
                                 reader.records_over_snaplen()};
    if (status == pm::io::ReadStatus::damaged)
        info.stopped = pm::report::ReadStop{reader.records_read(), reader.offset(), reader.error()};

    if (json_out) {
        json.finish(engine, info, report_options, pm::io::CaptureReader::link_type_name);
        const bool closed = json_out == stdout || std::fclose(json_out) == 0;
        if (json.failed() || !closed)
            return fail(output_error, fmt::format("{}: cannot write the JSON report", options.json));
    } else {
        drain();
    }
    if (options.json != "-") {
        const std::string text = pm::report::text_report(engine, info, report_options, {use_colour(options)});
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    std::fflush(stdout);
    if (info.records_over_snaplen)
        std::fprintf(stderr, "packetmancer: %s: warning: %llu records longer than the capture's snaplen, analysed as captured\n",
                     info.file.c_str(), static_cast<unsigned long long>(info.records_over_snaplen));
    if (info.stopped) {
        return fail(damaged_input, fmt::format("{}: capture damaged after record {}: {}", info.file,
                                               info.stopped->records_read, info.stopped->reason));
    }
    if (options.fail_on && engine.get<pm::TcpHealth>().verdict().severity() >= *options.fail_on) return severity_reached;
    return analysed;
}
