// packetmancer: TCP and DNS health of a packet capture, on the console and as JSON.
// A small tool over the library: Engine<TcpHealth, DnsHealth> (one per thread under a
// ShardedEngine when there are several threads), the capture reader and the report
// writers do the work; this file parses options and maps outcomes to exit codes.
#include "progress_line.hpp"

#include <packetmancer/packetmancer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
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
    out_of_memory = 7,
    system_error = 8,
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
    "  --top N         conversations to list, least healthy first (default 5, at most 10000)\n"
    "  --json PATH|-   also write the full JSON report to PATH (\"-\": standard output,\n"
    "                  which then carries only the JSON); a file is replaced only by a\n"
    "                  complete report, and never the capture itself\n"
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
    "                  conversations; the reports are the same for every N while the\n"
    "                  capture stays under --max-conversations (the threads keep it\n"
    "                  together); standard input is read on one thread\n"
    "  --no-color      no colour, even on a terminal (NO_COLOR in the environment works too)\n"
    "  --quiet         no progress line (shown on a terminal when reading takes over a second)\n"
    "  --help          this text\n"
    "  --version       the version\n"
    "\n"
    "exit codes:\n"
    "  0  the capture was analysed\n"
    "  2  usage error, or an output that is the capture being read\n"
    "  3  the input cannot be opened, is not a capture, or has a link type we do not decode\n"
    "  4  the capture is damaged: everything before the damage is reported, with where\n"
    "     reading stopped\n"
    "  5  a report cannot be written (the JSON file, or standard output)\n"
    "  6  --fail-on: a conversation reached that severity (codes 3 to 5 take precedence)\n"
    "  7  out of memory (lower --max-conversations)\n"
    "  8  the system refused something else (the message says what)\n";

// The most conversations --top lists: the console's list is for reading, and the JSON
// report holds every conversation anyway; what is kept for it stays small.
constexpr std::size_t max_top = 10'000;

struct Options {
    std::string file;
    std::optional<std::string> json;
    std::size_t top = 5;
    pm::flow::TrackerLimits limits{};
    bool no_colour = false;
    bool quiet = false;
    std::size_t threads = 0;  // 0: chosen by the capture's size (see automatic_threads)
    std::optional<pm::diagnosis::Severity> fail_on;
    pm::diagnosis::Language language = pm::diagnosis::language_from_environment();

    [[nodiscard]] bool json_to_stdout() const { return json && *json == "-"; }
    [[nodiscard]] bool console_report() const { return !json_to_stdout(); }
};

// One line on standard error. Anything in it may come from the command line or the
// input (a file name): shown escaped, it cannot drive the terminal.
int fail(int code, const std::string& message) {
    const std::string line = "packetmancer: " + pm::report::terminal_safe(message) + "\n";
    (void)!std::fwrite(line.data(), 1, line.size(), stderr);
    return code;
}
void warn(const std::string& message) { (void)fail(0, message); }

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
    std::set<std::string_view> given;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
            return analysed;
        }
        if (arg == "--version") {
            std::printf("packetmancer %.*s\n", static_cast<int>(pm::version.size()), pm::version.data());
            return analysed;
        }
        // An option given twice is a mistake to point out, not a choice to make silently.
        const std::string_view name = arg == "--no-colour" ? std::string_view("--no-color") : arg;
        if (name.starts_with("--") && !given.insert(name).second)
            return fail(usage_error, fmt::format("{} given twice", name));
        const auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (name == "--no-color") {
            options.no_colour = true;
        } else if (name == "--quiet") {
            options.quiet = true;
        } else if (name == "--file") {
            const char* v = value();
            if (!v || !*v) return fail(usage_error, "--file needs a path (or - for standard input)");
            options.file = v;
        } else if (name == "--json") {
            const char* v = value();
            if (!v || !*v) return fail(usage_error, "--json needs a path (or - for standard output)");
            options.json = v;
        } else if (name == "--idle-timeout") {
            const char* v = value();
            std::size_t seconds = 0;
            if (!v || !parse_count(v, seconds))
                return fail(usage_error, "--idle-timeout needs whole seconds, for example --idle-timeout 300");
            options.limits.idle_timeout_ns = static_cast<std::int64_t>(seconds) * 1'000'000'000;
        } else if (name == "--max-conversations") {
            const char* v = value();
            std::size_t n = 0;
            if (!v || !parse_count(v, n) || n == 0)
                return fail(usage_error, "--max-conversations needs a positive whole number");
            options.limits.max_conversations = n;
        } else if (name == "--fail-on") {
            const char* v = value();
            const auto level = v ? pm::diagnosis::parse_severity(v) : std::nullopt;
            if (!level || *level == pm::diagnosis::Severity::ok)
                return fail(usage_error, "--fail-on needs a severity: low, medium or high");
            options.fail_on = level;
        } else if (name == "--lang") {
            const char* v = value();
            const auto language = v ? pm::diagnosis::parse_language(v) : std::nullopt;
            if (!language) return fail(usage_error, "--lang needs a language: en or es");
            options.language = *language;
        } else if (name == "--threads") {
            const char* v = value();
            if (!v || !parse_count(v, options.threads) || options.threads == 0 || options.threads > 64)
                return fail(usage_error, "--threads needs a whole number from 1 to 64");
        } else if (name == "--top") {
            const char* v = value();
            if (!v || !parse_count(v, options.top) || options.top > max_top)
                return fail(usage_error, fmt::format("--top needs a whole number up to {}, for example --top 10", max_top));
        } else {
            return fail(usage_error, fmt::format("unknown option '{}' (see --help)", arg));
        }
    }
    if (options.file.empty()) return fail(usage_error, "--file is required (see --help)");
    return -1;
}

// Standard input, output and error that the caller closed (`>&-`) are opened on
// /dev/null, so that no file this opens later takes their number and receives the
// report; the report to a closed standard output then fails as it should.
struct ClosedStreams {
    bool output = false;
};
ClosedStreams occupy_closed_standard_streams() {
    ClosedStreams closed;
    for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        if (fd == STDOUT_FILENO) closed.output = true;
        // open() returns the lowest free number: this one, as the lower ones are open.
        (void)::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    }
    return closed;
}

// The JSON file being written, for the signal handler to remove: a run stopped with
// Ctrl-C leaves neither a partial report nor a temporary file behind.
char unfinished_report[4096] = {};
extern "C" void remove_unfinished_report(int signal) {
    if (unfinished_report[0]) ::unlink(unfinished_report);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}
void remove_on_signals(const std::string& temporary) {
    if (temporary.empty() || temporary.size() >= sizeof unfinished_report) return;
    std::memcpy(unfinished_report, temporary.c_str(), temporary.size() + 1);
    for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
        // A signal the caller ignores (nohup, a background job's SIGINT) stays ignored.
        struct sigaction before {};
        if (::sigaction(signal, nullptr, &before) == 0 && before.sa_handler == SIG_IGN) continue;
        std::signal(signal, remove_unfinished_report);
    }
}
void forget_unfinished_report() { unfinished_report[0] = '\0'; }

// Holds back SIGINT, SIGTERM and SIGHUP while it lives: between creating the JSON
// report's temporary file and naming it to the handler, a Ctrl-C would otherwise leave
// the file behind. One that arrives meanwhile is delivered when the guard ends.
class SignalsHeldBack {
public:
    SignalsHeldBack() {
        sigset_t held;
        sigemptyset(&held);
        for (const int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&held, signal);
        ::sigprocmask(SIG_BLOCK, &held, &before_);
    }
    ~SignalsHeldBack() { ::sigprocmask(SIG_SETMASK, &before_, nullptr); }
    SignalsHeldBack(const SignalsHeldBack&) = delete;
    SignalsHeldBack& operator=(const SignalsHeldBack&) = delete;

private:
    sigset_t before_{};
};

// An output that is the capture being read (the same file through any name or link)
// would destroy it: refused before anything is written.
int refuse_overwriting_the_capture(const Options& options, bool stdout_closed) {
    const auto capture = options.file == "-" ? pm::report::identity_of_descriptor(STDIN_FILENO)
                                             : pm::report::identity_of(options.file);
    if (!capture) return -1;
    if (options.json && !options.json_to_stdout() && pm::report::identity_of(*options.json) == capture)
        return fail(usage_error, fmt::format("--json {} is the capture being read: choose another path", *options.json));
    if (!stdout_closed && pm::report::identity_of_descriptor(STDOUT_FILENO) == capture)
        return fail(usage_error, "standard output is the capture being read: send the report elsewhere");
    return -1;
}

bool use_colour(const Options& options) {
    if (options.no_colour || options.json_to_stdout()) return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

// The progress line goes to a terminal only: never when the report or standard error is
// piped or redirected, never with --quiet. PACKETMANCER_PROGRESS_AFTER_MS changes the
// one second it waits (the CLI test sets 0).
packetmancer_cli::ProgressLine make_progress_line(const Options& options, std::uint64_t capture_bytes) {
    const bool enabled = !options.quiet && ::isatty(STDERR_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
    std::size_t after_ms = 1000;
    if (const char* after = std::getenv("PACKETMANCER_PROGRESS_AFTER_MS")) (void)parse_count(after, after_ms);
    return packetmancer_cli::ProgressLine(enabled, capture_bytes, std::chrono::milliseconds(after_ms));
}

// The size of a regular capture file, 0 for standard input, a pipe or a device.
std::uint64_t capture_file_size(const Options& options) {
    struct stat st {};
    if (options.file == "-" || ::stat(options.file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    return static_cast<std::uint64_t>(st.st_size);
}

// Without --threads: one thread for small captures, where starting more costs more
// than it saves; for a large file, one per core, at most 4 (past that the thread
// reading the capture is the limit).
std::size_t automatic_threads(std::uint64_t capture_bytes) {
    constexpr std::uint64_t large_capture_bytes = 64ull << 20;
    if (capture_bytes < large_capture_bytes) return 1;
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(cores, 1, 4);
}

// Writing the JSON to standard output failed (a closed pipe): nothing else is wanted
// from this run, so reading stops.
struct JsonOutputFailed {};

// The console report, written and flushed, every failure caught.
bool write_console(const std::string& text, bool stdout_closed, std::string& reason) {
    if (stdout_closed) {
        reason = std::strerror(EBADF);
        return false;
    }
    errno = 0;
    if (std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0) return true;
    reason = std::strerror(errno ? errno : EIO);
    return false;
}

int run(const Options& options, const ClosedStreams& closed) {
    if (const int code = refuse_overwriting_the_capture(options, closed.output); code >= 0) return code;

    pm::io::CaptureReader reader;
    // A regular file is mapped and read in place; PACKETMANCER_NO_MMAP=1 reads it as a
    // stream instead (libpcap for classic pcap), with the same results: for comparisons.
    const char* no_mmap = std::getenv("PACKETMANCER_NO_MMAP");
    const pm::io::CaptureReader::Options read_options{.map_file = !(no_mmap && *no_mmap)};
    if (!reader.open(options.file, read_options))
        return fail(unreadable_input, fmt::format("{}: {}", options.file, reader.error()));
    // A pcapng file may describe interfaces we do not decode beside those we do; its
    // frames on the former are counted as undecoded (see the end of run()).
    if (reader.format() == "pcap" && !pm::net::is_supported_link_type(reader.link_type()))
        return fail(unreadable_input, fmt::format("{}: link type {} ({}) is not supported", options.file,
                                                  reader.link_type(),
                                                  pm::io::CaptureReader::link_type_name(reader.link_type())));

    // The JSON report streams while the capture is read, so open its file first: a
    // path that cannot be written fails before any work is done.
    pm::report::ReportFile json_file;
    std::FILE* json_out = nullptr;
    if (options.json_to_stdout()) {
        if (closed.output) return fail(output_error, "cannot write the JSON report to standard output: " +
                                                         std::string(std::strerror(EBADF)));
        json_out = stdout;
    } else if (options.json) {
        const SignalsHeldBack held_back;
        if (!json_file.open(*options.json))
            return fail(output_error, fmt::format("{}: cannot write the JSON report: {}", *options.json, json_file.error()));
        json_out = json_file.stream();
        remove_on_signals(json_file.temporary_path());
    }

    // With more than one thread, each analyses its share of the TCP conversations from its
    // own reader of the file (standard input can be read only once: one thread reads it).
    const std::uint64_t capture_bytes = capture_file_size(options);
    const std::size_t threads = options.threads ? options.threads : automatic_threads(capture_bytes);
    const std::size_t shards = options.file == "-" ? 1 : threads;
    std::vector<std::unique_ptr<pm::io::CaptureReader>> more_readers;
    std::vector<pm::io::CaptureReader*> readers{&reader};
    for (std::size_t i = 1; i < shards; ++i) {
        auto& more = more_readers.emplace_back(std::make_unique<pm::io::CaptureReader>());
        if (!more->open(options.file, read_options))
            return fail(unreadable_input, fmt::format("{}: {}", options.file, more->error()));
        readers.push_back(more.get());
    }

    using Sharded = pm::ShardedEngine<pm::TcpHealth, pm::DnsHealth>;
    using Engine = Sharded::Shard;  // with one shard, it runs as Engine<TcpHealth, DnsHealth>
    Sharded sharded(shards, options.limits, pm::TcpHealth(options.top), pm::DnsHealth());
    Engine& engine = sharded.report();
    const pm::report::ReportOptions report_options{options.top, options.language};
    pm::report::JsonReport<Engine> json(json_out, report_options, json_out ? threads - 1 : 0);
    // Finished conversations are written (or, without --json, dropped) as they come, so
    // memory follows the live conversations only.
    const auto drain = [&] {
        if (!json_out) {
            (void)engine.get<pm::TcpHealth>().take_finished();
            return;
        }
        json.drain(engine);
        if (json.failed() && options.json_to_stdout()) throw JsonOutputFailed{};
    };
    pm::io::ReadStatus status;
    auto progress = make_progress_line(options, capture_bytes);
    try {
        status = pm::read_capture(sharded, std::span<pm::io::CaptureReader* const>(readers), [&](std::uint64_t frames) {
            drain();
            progress.update(frames, reader.offset());
        });
        progress.finish();
    } catch (const JsonOutputFailed&) {
        progress.finish();
        return fail(output_error, "cannot write the JSON report to standard output: " + json.error());
    } catch (const std::runtime_error& e) {
        // The readers of several threads saw different captures: no report (the JSON file
        // begun is discarded: ReportFile removes what it did not commit).
        progress.finish();
        return fail(damaged_input, fmt::format("{}: {}", options.file, e.what()));
    }
    const pm::report::CaptureInfo info =
        pm::describe_capture(reader, options.file == "-" ? "(standard input)" : options.file, status);

    // Reports: the JSON first (whole or not at all), then the console's, which is shown
    // even when the JSON could not be written.
    bool outputs_failed = false;
    if (json_out) {
        json.finish(engine, info, report_options, pm::io::CaptureReader::link_type_name);
        const auto json_failed = [&](const std::string& reason) {
            outputs_failed = true;
            fail(output_error, options.json_to_stdout()
                                   ? "cannot write the JSON report to standard output: " + reason
                                   : fmt::format("{}: cannot write the JSON report: {}", *options.json, reason));
        };
        if (json.failed()) json_failed(json.error());
        else if (!options.json_to_stdout() && !json_file.commit()) json_failed(json_file.error());
        json_file.discard();
        forget_unfinished_report();
    } else {
        drain();
    }
    if (options.console_report()) {
        const std::string text = pm::report::text_report(engine, info, report_options, {use_colour(options)});
        std::string reason;
        if (!write_console(text, closed.output, reason)) {
            outputs_failed = true;
            fail(output_error, "cannot write the report to standard output: " + reason);
        }
    }

    if (info.records_over_snaplen)
        warn(fmt::format("{}: warning: {} records longer than the capture's snaplen, analysed as captured", info.file,
                         info.records_over_snaplen));
    if (info.records_with_clamped_resolution)
        warn(fmt::format("{}: warning: {} records on interfaces whose timestamp resolution is finer than 10^-19 s "
                         "(if_tsresol), timed at 10^-19 s",
                         info.file, info.records_with_clamped_resolution));
    const pm::CaptureSummary& summary = engine.summary();
    const auto unsupported = summary.undecoded[static_cast<std::size_t>(pm::net::Undecoded::unsupported_link_type)];
    if (info.stopped) {
        fail(damaged_input, fmt::format("{}: capture damaged after record {}: {}", info.file, info.stopped->records_read,
                                        info.stopped->reason));
    } else if (summary.packets_total > 0 && unsupported == summary.packets_total) {
        return fail(unreadable_input,
                    fmt::format("{}: no packet is on an interface of a link type PacketMancer decodes (the first: {} ({}))",
                                info.file, reader.link_type(), pm::io::CaptureReader::link_type_name(reader.link_type())));
    }
    if (outputs_failed) return output_error;
    if (info.stopped) return damaged_input;
    if (options.fail_on && engine.get<pm::TcpHealth>().verdict().severity() >= *options.fail_on) return severity_reached;
    return analysed;
}

} // namespace

int main(int argc, char** argv) {
    const ClosedStreams closed = occupy_closed_standard_streams();
    Options options;
    if (const int code = parse(argc, argv, options); code >= 0) return code;
    int code = analysed;
    try {
        code = run(options, closed);
    } catch (const std::bad_alloc&) {
        code = fail(out_of_memory, "out of memory: lower --max-conversations, or give the process more memory");
    } catch (const std::exception& e) {
        code = fail(system_error, e.what());
    }
    // What standard output still holds is written now: a failure then is a failed report.
    if (options.console_report() || options.json_to_stdout()) {
        if (std::fclose(stdout) != 0 && code != output_error && !closed.output)
            code = fail(output_error, "cannot write the report to standard output: " + std::string(std::strerror(errno)));
    }
    return code;
}
