// Where a report file goes: written whole or not at all, and never over the capture it
// describes.
//
// A report to a regular file is written to a temporary file beside it and renamed into
// place only once complete, so a full disk, a killed run or a capture that turns out to
// have changed leaves no truncated report, and a previous good report is replaced only
// by a whole one; so the file's directory must be writable. A path that is not a regular
// file (/dev/null, a FIFO, a terminal), or any path under /dev or /proc (/dev/stdout,
// which may name a regular file), is written directly, as there is nothing to replace.
// A path that names the capture being read (through a symlink or a hard link: the same
// device and inode) is refused by the caller before anything is opened (see
// identity_of). Every failure keeps the system's reason (strerror) for a one-line error.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace packetmancer::report {

// A file as the system knows it, whatever name or link it is reached by.
struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// The identity of what `path` names (following symlinks), if it exists.
[[nodiscard]] inline std::optional<FileIdentity> identity_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return FileIdentity{st.st_dev, st.st_ino};
}
// The identity of an open descriptor (standard input or output), if it is a regular
// file: only a regular file can be both read as a capture and written as a report.
[[nodiscard]] inline std::optional<FileIdentity> identity_of_descriptor(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return FileIdentity{st.st_dev, st.st_ino};
}

class ReportFile {
public:
    ReportFile() = default;
    ReportFile(const ReportFile&) = delete;
    ReportFile& operator=(const ReportFile&) = delete;
    ~ReportFile() { discard(); }

    // Opens the report's destination. False, with `error()` set, when it cannot be
    // written (no such directory, no permission, not a file one can write).
    bool open(const std::string& path) {
        discard();
        target_ = path;
        struct stat st {};
        const bool exists = ::stat(path.c_str(), &st) == 0;
        if (!exists && errno != ENOENT) return fail(errno);
        if (exists && S_ISDIR(st.st_mode)) return fail(EISDIR);
        if ((exists && !S_ISREG(st.st_mode)) || path.starts_with("/dev/") || path.starts_with("/proc/"))
            return open_directly(false);
        // The real file behind any symlinks: the report replaces it, not the link.
        std::string real = path;
        if (exists) {
            char* resolved = ::realpath(path.c_str(), nullptr);
            if (!resolved) return fail(errno);
            real = resolved;
            std::free(resolved);
        } else if (is_symlink(path)) {
            // A link to a file yet to be made: written through the link as it is.
            return open_directly(true);
        }
        return open_temporary(real, exists ? st.st_mode & 07777 : default_mode());
    }

    [[nodiscard]] std::FILE* stream() const noexcept { return file_; }

    // Makes the report visible under its name. False, with `error()` set, when the
    // last writes or the rename fail; the temporary file is then removed.
    bool commit() {
        if (!file_) return false;
        std::FILE* file = std::exchange(file_, nullptr);
        const bool written = std::fflush(file) == 0 && !std::ferror(file);
        const int write_error = errno;
        if (std::fclose(file) != 0 || !written) {
            const int reason = written ? errno : write_error;
            remove_unfinished();
            return fail(reason ? reason : EIO);
        }
        if (!temporary_.empty()) {
            if (std::rename(temporary_.c_str(), destination_.c_str()) != 0) {
                const int reason = errno;
                remove_unfinished();
                return fail(reason);
            }
            temporary_.clear();
        }
        created_ = false;
        return true;
    }

    // Abandons the report: the temporary file (or a file this made) is removed, and
    // whatever stood at the path before stays as it was.
    void discard() noexcept {
        if (file_) std::fclose(std::exchange(file_, nullptr));
        remove_unfinished();
    }

    // The system's reason for the last failure, e.g. "No space left on device".
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    // The temporary file being written, empty when the report goes straight to its
    // path (for a caller that removes it on a signal; see CLI).
    [[nodiscard]] const std::string& temporary_path() const noexcept { return temporary_; }

private:
    static bool is_symlink(const std::string& path) {
        struct stat st {};
        return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
    }
    // What a new file gets from open(2) with mode 0666: the process's umask decides.
    static mode_t default_mode() {
        const mode_t mask = ::umask(022);
        ::umask(mask);
        return static_cast<mode_t>(0666 & ~mask);
    }

    bool open_directly(bool creates) {
        file_ = std::fopen(target_.c_str(), "wb");
        if (!file_) return fail(errno);
        created_ = creates;
        destination_ = target_;
        return true;
    }

    // A hidden file in the target's directory (a rename stays within one file system),
    // named after the target so that one left by a crash says what it was.
    bool open_temporary(const std::string& real, mode_t mode) {
        const std::size_t slash = real.rfind('/');
        const std::string directory = slash == std::string::npos ? "." : real.substr(0, slash + 1);
        std::string base = slash == std::string::npos ? real : real.substr(slash + 1);
        if (base.size() > 200) base.resize(200);  // room for the suffix within NAME_MAX
        std::string pattern = directory + (directory == "." ? "/." : ".") + base + ".partial-XXXXXX";
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) {
            // Writing the file in place instead could leave it half written: refused.
            const int reason = errno;
            fail(reason);
            if (reason == EACCES || reason == EROFS || reason == EPERM)
                error_ += " (the report is written to a temporary file in its directory first)";
            return false;
        }
        if (::fchmod(fd, mode) != 0 || !(file_ = ::fdopen(fd, "wb"))) {
            const int reason = errno;
            ::close(fd);
            ::unlink(pattern.c_str());
            return fail(reason);
        }
        temporary_ = std::move(pattern);
        destination_ = real;
        return true;
    }

    void remove_unfinished() noexcept {
        if (!temporary_.empty()) ::unlink(temporary_.c_str());
        else if (created_) ::unlink(destination_.c_str());
        temporary_.clear();
        created_ = false;
    }

    bool fail(int reason) {
        error_ = std::strerror(reason);
        return false;
    }

    std::string target_;       // the path as given
    std::string destination_;  // the file the report ends up as
    std::string temporary_;    // being written, renamed to destination_ by commit()
    std::FILE* file_ = nullptr;
    bool created_ = false;     // written directly into a file this made
    std::string error_;
};

} // namespace packetmancer::report
