// OrderedJobs: runs jobs on helper threads and hands them back finished in the order they
// were submitted, so that output built from them is the same byte for byte whatever the
// number of threads. While `max_pending` jobs are waiting the caller runs the oldest
// queued one itself instead of blocking: with two cores the caller's own work and the
// jobs then share both, and memory stays bounded by `max_pending` jobs.
//
// With no helper thread every job runs in `submit`, in the caller's thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace packetmancer::detail {

// `Work` is called as work(job) and fills the job's result in place; it runs on any of
// the threads, one job at a time per thread, so it must not touch shared state unguarded.
template <class Job, class Work>
class OrderedJobs {
public:
    OrderedJobs(std::size_t helper_threads, std::size_t max_pending, Work work)
        : work_(std::move(work)), max_pending_(max_pending) {
        helpers_.reserve(helper_threads);
        for (std::size_t i = 0; i < helper_threads; ++i) helpers_.emplace_back([this] { help(); });
    }
    OrderedJobs(const OrderedJobs&) = delete;
    OrderedJobs& operator=(const OrderedJobs&) = delete;
    ~OrderedJobs() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        changed_.notify_all();
        for (auto& t : helpers_) t.join();
    }

    [[nodiscard]] std::size_t helper_threads() const noexcept { return helpers_.size(); }

    // Queues `job`, then calls `done(job)` for every job finished at the front of the queue,
    // oldest first, in the caller's thread. Runs or waits for jobs while more than
    // `max_pending` are queued. A job whose work threw rethrows here, when its turn comes.
    template <class Done>
    void submit(Job job, Done&& done) {
        std::unique_lock lock(mutex_);
        queue_.push_back(std::make_unique<Slot>(std::move(job)));
        ++queued_;
        changed_.notify_one();
        hand_back_finished(lock, done);
        while (queue_.size() > max_pending_ || (helpers_.empty() && !queue_.empty())) {
            run_or_wait(lock);
            hand_back_finished(lock, done);
        }
    }

    // Finishes every queued job and hands each back in order.
    template <class Done>
    void finish(Done&& done) {
        std::unique_lock lock(mutex_);
        hand_back_finished(lock, done);
        while (!queue_.empty()) {
            run_or_wait(lock);
            hand_back_finished(lock, done);
        }
    }

private:
    enum class State { queued, running, finished };
    struct Slot {
        explicit Slot(Job j) : job(std::move(j)) {}
        Job job;
        State state = State::queued;
        std::exception_ptr failure;
    };

    void run(Slot& slot) noexcept {
        try {
            work_(slot.job);
        } catch (...) {
            slot.failure = std::current_exception();
        }
    }

    // The oldest queued job, marked running; nullptr when none is queued.
    Slot* claim_oldest_queued() noexcept {
        if (queued_ == 0) return nullptr;
        for (auto& slot : queue_) {
            if (slot->state == State::queued) {
                slot->state = State::running;
                --queued_;
                return slot.get();
            }
        }
        return nullptr;
    }

    // Runs a queued job in this thread if there is one, else waits for a change.
    void run_or_wait(std::unique_lock<std::mutex>& lock) {
        if (Slot* slot = claim_oldest_queued()) {
            lock.unlock();
            run(*slot);  // the slot stays put: only the caller's thread removes slots, and it is here
            lock.lock();
            slot->state = State::finished;
            changed_.notify_all();
            return;
        }
        changed_.wait(lock, [&] { return queue_.front()->state == State::finished; });
    }

    template <class Done>
    void hand_back_finished(std::unique_lock<std::mutex>& lock, Done& done) {
        while (!queue_.empty() && queue_.front()->state == State::finished) {
            std::unique_ptr<Slot> slot = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            if (slot->failure) {
                lock.lock();
                std::rethrow_exception(slot->failure);
            }
            done(slot->job);
            lock.lock();
        }
    }

    void help() {
        std::unique_lock lock(mutex_);
        for (;;) {
            changed_.wait(lock, [&] { return stopping_ || queued_ > 0; });
            if (stopping_) return;
            Slot* slot = claim_oldest_queued();
            lock.unlock();
            run(*slot);
            lock.lock();
            slot->state = State::finished;
            changed_.notify_all();
        }
    }

    Work work_;
    std::size_t max_pending_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::unique_ptr<Slot>> queue_;  // oldest first; removed only by the caller's thread
    std::size_t queued_ = 0;                    // slots in queue_ still State::queued
    bool stopping_ = false;
    std::vector<std::thread> helpers_;          // last: started once everything above exists
};

} // namespace packetmancer::detail
