// detail/ordered_jobs.hpp: jobs come back finished, in the order they were submitted,
// whichever thread ran them; at most `max_pending` wait at a time; a failure surfaces in
// the caller when its job's turn comes.
#include <packetmancer/detail/ordered_jobs.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using packetmancer::detail::OrderedJobs;

namespace {

struct Job {
    int number = 0;
    long result = 0;
    std::thread::id ran_on{};
};

// Uneven amounts of work, so that helpers finish out of order.
long busy_work(int n) {
    long sum = 0;
    const int rounds = (n * 7919) % 2000 + 1;
    for (int i = 0; i < rounds; ++i) sum += (static_cast<long>(n) * i) % 97;
    return sum;
}

struct Compute {
    std::atomic<std::size_t>* running = nullptr;
    std::atomic<std::size_t>* most_running = nullptr;
    void operator()(Job& job) const {
        const std::size_t now = ++*running;
        std::size_t seen = most_running->load();
        while (now > seen && !most_running->compare_exchange_weak(seen, now)) {}
        job.result = busy_work(job.number);
        job.ran_on = std::this_thread::get_id();
        --*running;
    }
};

} // namespace

TEST_CASE("jobs come back in submission order with 0, 1 and 3 helper threads") {
    for (const std::size_t helpers : {0u, 1u, 3u}) {
        CAPTURE(helpers);
        std::atomic<std::size_t> running{0}, most_running{0};
        std::vector<int> order;
        std::vector<long> results;
        std::size_t run_by_caller = 0;
        const auto caller = std::this_thread::get_id();
        {
            OrderedJobs<Job, Compute> jobs(helpers, 4, Compute{&running, &most_running});
            const auto done = [&](const Job& j) {
                order.push_back(j.number);
                results.push_back(j.result);
                run_by_caller += j.ran_on == caller;
            };
            for (int i = 0; i < 500; ++i) jobs.submit(Job{i}, done);
            jobs.finish(done);
        }
        REQUIRE(order.size() == 500);
        for (int i = 0; i < 500; ++i) {
            CHECK(order[static_cast<std::size_t>(i)] == i);
            CHECK(results[static_cast<std::size_t>(i)] == busy_work(i));
        }
        if (helpers == 0) {
            CHECK(run_by_caller == 500);
            CHECK(most_running.load() == 1);
        }
        CHECK(most_running.load() <= helpers + 1);
    }
}

TEST_CASE("with no helper thread, each job is done and handed back inside submit") {
    std::vector<int> handed_back;
    struct Square {
        void operator()(Job& j) const { j.result = static_cast<long>(j.number) * j.number; }
    };
    OrderedJobs<Job, Square> inline_jobs(0, 8, Square{});
    for (int i = 0; i < 5; ++i) {
        inline_jobs.submit(Job{i}, [&](const Job& j) { handed_back.push_back(static_cast<int>(j.result)); });
        CHECK(handed_back.size() == static_cast<std::size_t>(i + 1));
    }
    CHECK(handed_back == std::vector<int>{0, 1, 4, 9, 16});
}

TEST_CASE("no more than max_pending jobs wait: the caller works or waits instead of queueing more") {
    // Helpers that cannot finish until released: the caller must run the surplus itself.
    std::atomic<bool> release{false};
    std::atomic<int> started_by_helpers{0};
    const auto caller = std::this_thread::get_id();
    struct Blocking {
        std::atomic<bool>* release;
        std::atomic<int>* started_by_helpers;
        std::thread::id caller;
        void operator()(Job& j) const {
            if (std::this_thread::get_id() != caller) {
                ++*started_by_helpers;
                while (!release->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            j.ran_on = std::this_thread::get_id();
        }
    };
    std::vector<int> order;
    std::size_t by_caller = 0;
    OrderedJobs<Job, Blocking> jobs(1, 3, Blocking{&release, &started_by_helpers, caller});
    const auto done = [&](const Job& j) {
        order.push_back(j.number);
        by_caller += j.ran_on == caller;
    };
    // The helper takes job 0 and blocks; the caller must run jobs 1.. itself once more than
    // three are pending, and cannot hand any back while job 0 is unfinished.
    for (int i = 0; i < 3; ++i) jobs.submit(Job{i}, done);
    while (started_by_helpers.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        release = true;
    });
    jobs.submit(Job{3}, done);  // four pending: runs 1 and 2, then waits for job 0
    releaser.join();
    jobs.finish(done);
    CHECK(order == std::vector<int>{0, 1, 2, 3});
    CHECK(started_by_helpers.load() >= 1);
    CHECK(by_caller >= 2);
}

TEST_CASE("a job that throws rethrows in the caller at its turn, after the jobs before it") {
    struct MayThrow {
        void operator()(Job& j) const {
            if (j.number == 7) throw std::runtime_error("job 7 failed");
            j.result = j.number;
        }
    };
    for (const std::size_t helpers : {0u, 2u}) {
        CAPTURE(helpers);
        std::vector<int> order;
        OrderedJobs<Job, MayThrow> jobs(helpers, 2, MayThrow{});
        const auto done = [&](const Job& j) { order.push_back(j.number); };
        bool thrown = false;
        try {
            for (int i = 0; i < 20; ++i) jobs.submit(Job{i}, done);
            jobs.finish(done);
        } catch (const std::runtime_error& e) {
            thrown = true;
            CHECK(std::string(e.what()) == "job 7 failed");
        }
        CHECK(thrown);
        REQUIRE(order.size() == 7);
        for (int i = 0; i < 7; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
    }  // destroying jobs with work still queued joins the helpers without running it
}
