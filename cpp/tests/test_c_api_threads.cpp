// One classifier used from many threads through the C ABI; last-error is per thread.
#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "pyengine/pyengine.h"

int main() {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> xy(100.0f, 900.0f), z(-400.0f, 400.0f);
    const int S = 2000, Q = 100;
    std::vector<float> lms(static_cast<std::size_t>(S + Q) * 99);
    for (std::size_t i = 0; i < lms.size(); ++i) lms[i] = (i % 3 == 2) ? z(rng) : xy(rng);
    std::vector<const char*> labels(S);
    const char* names[4] = {"w", "x", "y", "z"};
    for (int s = 0; s < S; ++s) labels[static_cast<std::size_t>(s)] = names[s % 4];
    pyengine_classifier* c = nullptr;
    CHECK(pyengine_classifier_create_from_labels(lms.data(), S, labels.data(), nullptr, &c) == PYENGINE_OK);
    const float* queries = lms.data() + static_cast<std::size_t>(S) * 99;
    std::vector<int32_t> expected(static_cast<std::size_t>(Q) * 10);
    for (int q = 0; q < Q; ++q)
        CHECK(pyengine_classify_neighbours(c, queries + q * 99, &expected[static_cast<std::size_t>(q) * 10], 10) == PYENGINE_OK);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t]() {
            int32_t got[10];
            for (int rep = 0; rep < 5; ++rep)
                for (int q = 0; q < Q; ++q) {
                    const int qq = (q * 7 + t) % Q;
                    if (pyengine_classify_neighbours(c, queries + qq * 99, got, 10) != PYENGINE_OK ||
                        std::memcmp(got, &expected[static_cast<std::size_t>(qq) * 10], sizeof got) != 0)
                        ++bad;
                }
            // Errors on this thread do not leak into others.
            int32_t counts[4];
            if (t == 0) {
                if (pyengine_classify(c, queries, counts, 1) != PYENGINE_ERR_BUFFER_TOO_SMALL) ++bad;
                if (std::string(pyengine_last_error()).find("counts_len 1") == std::string::npos) ++bad;
            } else {
                if (std::string(pyengine_last_error()) != "") ++bad;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(bad.load() == 0);
    pyengine_classifier_destroy(c);
    TEST_MAIN_END();
}
