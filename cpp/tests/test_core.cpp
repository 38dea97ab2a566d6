// Unit tests of the header-only core. argv[1] (optional): the ML Kit sample CSV.
#include <atomic>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "brute_force.hpp"
#include "harness.hpp"
#include "pyengine/core.hpp"

using namespace pyengine;
namespace fs = std::filesystem;

// A random but plausible pose: landmarks scattered around a body-sized box.
static void random_pose(std::mt19937& rng, float* out) {
    std::uniform_real_distribution<float> xy(100.0f, 900.0f), z(-400.0f, 400.0f);
    for (int i = 0; i < kLandmarks; ++i) {
        out[3 * i] = xy(rng);
        out[3 * i + 1] = xy(rng);
        out[3 * i + 2] = z(rng);
    }
}

// n random poses, one after the other (n x 99 floats).
static std::vector<float> random_poses(std::mt19937& rng, int n) {
    std::vector<float> poses(static_cast<std::size_t>(n) * kCoords);
    for (int i = 0; i < n; ++i) random_pose(rng, &poses[static_cast<std::size_t>(i) * kCoords]);
    return poses;
}

static void test_embedding() {
    // Hips at (+-1, 0), shoulders at (+-1, -4), everything else at the hip midpoint.
    float L[kCoords] = {};
    auto set = [&](int i, float x, float y, float z) {
        L[3 * i] = x; L[3 * i + 1] = y; L[3 * i + 2] = z;
    };
    set(lm::left_hip, -1, 0, 0);
    set(lm::right_hip, 1, 0, 0);
    set(lm::left_shoulder, -1, -4, 0);
    set(lm::right_shoulder, 1, -4, 0);
    float e[kEmbeddingSize];
    CHECK(embed(L, 2.5, e));
    // Pose size = max(4 * 2.5, sqrt(17)) = 10: row 0 = shoulders - hips = (0, -4, 0) / 10 * 100.
    CHECK(e[0] == 0.0f);
    CHECK(e[1] == (-4.0f / 10.0f) * 100.0f);
    CHECK(e[2] == 0.0f);
    // Row 1: L shoulder -> L elbow (elbow at the centre): (1, 4, 0) * 10.
    CHECK(e[3] == (1.0f / 10.0f) * 100.0f && e[4] == (4.0f / 10.0f) * 100.0f);
    // A landmark far away sets the size: max_dist wins over the torso.
    set(lm::nose, 0, -50, 0);
    CHECK(embed(L, 2.5, e));
    CHECK(e[1] == (-4.0f / 50.0f) * 100.0f);

    std::mt19937 rng(7);

    // Invalid poses: NaN, inf, zero size, non-finite embedding.
    float Z[kCoords] = {};
    CHECK(!embed(Z, 2.5, e));
    for (int i = 0; i < kEmbeddingSize; ++i) CHECK(e[i] == 0.0f);
    float N[kCoords];
    random_pose(rng, N);
    N[50] = std::numeric_limits<float>::quiet_NaN();
    CHECK(!embed(N, 2.5, e));
    random_pose(rng, N);
    N[0] = std::numeric_limits<float>::infinity();
    CHECK(!embed(N, 2.5, e));
    random_pose(rng, N);
    for (float& v : N) v = v / 1000.0f;  // pose size about 1, so z / size * 100 overflows
    N[3 * lm::left_wrist + 2] = 3.0e38f;
    N[3 * lm::right_wrist + 2] = -3.0e38f;
    CHECK(!embed(N, 2.5, e));
}

static int compare_with_brute_force(const std::vector<float>& samples, const std::vector<int32_t>& ids,
                                    int n_classes, const std::vector<float>& queries, const Params& p,
                                    const char* what) {
    const Classifier clf(samples.data(), samples.size() / kCoords, ids.data(), n_classes, p);
    std::vector<int32_t> got(clf.k());
    int mismatches = 0;
    for (std::size_t q = 0; q < queries.size() / kCoords; ++q) {
        bool valid_bf = false;
        const std::vector<int> want = brute_force_neighbours(samples, &queries[q * kCoords], p, &valid_bf);
        const bool valid = clf.neighbours(&queries[q * kCoords], got.data());
        bool same = valid == valid_bf;
        if (same && valid) same = std::equal(want.begin(), want.end(), got.begin()) && want.size() == clf.k();
        if (!same && ++mismatches <= 3) std::fprintf(stderr, "%s: query %zu differs\n", what, q);
    }
    CHECK_MSG(mismatches == 0, std::string(what) + ": " + std::to_string(mismatches) + " mismatches");
    return mismatches;
}

static void test_classifier_synthetic() {
    std::mt19937 rng(1234);
    const int S = 600;
    std::vector<float> samples(static_cast<std::size_t>(S) * kCoords);
    std::vector<int32_t> ids(S);
    for (int s = 0; s < S; ++s) {
        if (s >= 200 && s % 5 == 0) {
            // Exact duplicates of earlier samples: ties that only the index can break.
            std::copy_n(&samples[static_cast<std::size_t>(s - 137) * kCoords], kCoords, &samples[static_cast<std::size_t>(s) * kCoords]);
        } else if (s >= 200 && s % 5 == 1) {
            // Mirror images of earlier samples: the mirrored query makes these tie too.
            for (int i = 0; i < kCoords; ++i)
                samples[static_cast<std::size_t>(s) * kCoords + i] =
                    (i % 3 == 0 ? -1.0f : 1.0f) * samples[static_cast<std::size_t>(s - 101) * kCoords + i];
        } else {
            random_pose(rng, &samples[static_cast<std::size_t>(s) * kCoords]);
        }
        ids[s] = s % 4;
    }
    std::vector<float> queries;
    for (int q = 0; q < 60; ++q) {
        // Jittered samples (close neighbours exist) and some exact samples.
        const int src = (q * 37) % S;
        for (int i = 0; i < kCoords; ++i) {
            const float v = samples[static_cast<std::size_t>(src) * kCoords + i];
            queries.push_back(q % 3 == 0 ? v : v + std::normal_distribution<float>(0.0f, 8.0f)(rng));
        }
    }
    float bad[kCoords] = {};
    queries.insert(queries.end(), bad, bad + kCoords);  // a "no pose" query

    Params p;
    compare_with_brute_force(samples, ids, 4, queries, p, "defaults");
    p.top_n_by_max_distance = 1;
    p.top_n_by_mean_distance = 1;
    compare_with_brute_force(samples, ids, 4, queries, p, "top 1");
    p = Params();
    p.top_n_by_max_distance = 400;  // above the sorted-array limit: the select path
    p.top_n_by_mean_distance = 25;
    compare_with_brute_force(samples, ids, 4, queries, p, "top 400");
    p = Params();
    p.top_n_by_max_distance = 5000;  // more than S
    p.top_n_by_mean_distance = 5000;
    compare_with_brute_force(samples, ids, 4, queries, p, "all samples");
    p = Params();
    p.axes_weights[0] = 0.0;
    p.axes_weights[2] = 0.0;
    compare_with_brute_force(samples, ids, 4, queries, p, "y only");
    p = Params();
    p.axes_weights[0] = p.axes_weights[1] = p.axes_weights[2] = 0.0;  // everything ties
    compare_with_brute_force(samples, ids, 4, queries, p, "all weights zero");
    p = Params();
    p.torso_size_multiplier = 0.5;
    compare_with_brute_force(samples, ids, 4, queries, p, "torso 0.5");
    // Fewer samples than a block and than k.
    std::vector<float> few(samples.begin(), samples.begin() + 7 * kCoords);
    std::vector<int32_t> few_ids(ids.begin(), ids.begin() + 7);
    compare_with_brute_force(few, few_ids, 4, queries, Params(), "7 samples");

    // Counts agree with the neighbours; no-pose zeroes them.
    const Classifier clf(samples.data(), S, ids.data(), 4);
    std::vector<int32_t> nb(clf.k()), counts(4);
    CHECK(clf.neighbours(&queries[kCoords], nb.data()));
    CHECK(clf.counts(&queries[kCoords], counts.data()));
    std::vector<int32_t> want(4, 0);
    for (int32_t i : nb) ++want[static_cast<std::size_t>(ids[static_cast<std::size_t>(i)])];
    CHECK(want == counts);
    CHECK(!clf.counts(bad, counts.data()));
    CHECK(counts == std::vector<int32_t>(4, 0));
    // Batch == one at a time.
    const std::size_t F = queries.size() / kCoords;
    std::vector<int32_t> batch(F * 4);
    std::vector<uint8_t> valid(F);
    CHECK(clf.counts_batch(queries.data(), F, batch.data(), valid.data()) == F - 1);
    for (std::size_t f = 0; f < F; ++f) {
        CHECK(clf.counts(&queries[f * kCoords], counts.data()) == (valid[f] == 1));
        CHECK(std::equal(counts.begin(), counts.end(), &batch[f * 4]));
    }

    // Bad construction arguments.
    std::vector<int32_t> bad_ids = ids;
    bad_ids[3] = 9;
    CHECK_THROWS(InvalidArgumentError, Classifier(samples.data(), S, bad_ids.data(), 4), "class id 9");
    Params bp;
    bp.axes_weights[1] = -1.0;
    CHECK_THROWS(InvalidArgumentError, Classifier(samples.data(), S, ids.data(), 4, bp), "axes_weights[1]");
    bp = Params();
    bp.top_n_by_mean_distance = 0;
    CHECK_THROWS(InvalidArgumentError, Classifier(samples.data(), S, ids.data(), 4, bp), "top_n_by_mean_distance");
    std::vector<float> with_bad = samples;
    std::fill_n(&with_bad[5 * kCoords], kCoords, 1.0f);
    CHECK_THROWS(InvalidSampleError, Classifier(with_bad.data(), S, ids.data(), 4), "sample 5");
}

static void test_threads() {
    std::mt19937 rng(99);
    const int S = 3000;
    const std::vector<float> samples = random_poses(rng, S);
    std::vector<int32_t> ids(S);
    for (int s = 0; s < S; ++s) ids[s] = s % 3;
    const Classifier clf(samples.data(), S, ids.data(), 3);
    const int Q = 200;
    const std::vector<float> queries = random_poses(rng, Q);
    std::vector<int32_t> expected(static_cast<std::size_t>(Q) * clf.k());
    for (int q = 0; q < Q; ++q) clf.neighbours(&queries[static_cast<std::size_t>(q) * kCoords], &expected[static_cast<std::size_t>(q) * clf.k()]);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t]() {
            std::vector<int32_t> got(clf.k());
            for (int rep = 0; rep < 3; ++rep)
                for (int q = 0; q < Q; ++q) {
                    const int qq = (q + 17 * t) % Q;
                    clf.neighbours(&queries[static_cast<std::size_t>(qq) * kCoords], got.data());
                    if (!std::equal(got.begin(), got.end(), &expected[static_cast<std::size_t>(qq) * clf.k()])) ++bad;
                }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(bad.load() == 0);
}

// Mirror identity (docs/numerics.md): embedding the x-negated pose gives the pose's own
// embedding with x negated (up to the sign of zero), so the classifier may mirror the
// embedding instead of embedding twice, and stage 1 may use max(min(xe, xf), y, z).
static void test_mirror_identity() {
    std::mt19937 rng(2024);
    int sign_only = 0;
    for (int t = 0; t < 2000; ++t) {
        float P[kCoords], a[kEmbeddingSize], b[kEmbeddingSize];
        random_pose(rng, P);
        if (t % 4 == 1) {
            // Left/right pairs at mirrored x: many x differences are exactly zero.
            for (int i = 0; i + 1 < kLandmarks; i += 2) P[3 * (i + 1)] = 1000.0f - P[3 * i];
        } else if (t % 4 == 2) {
            for (int i = 0; i < kLandmarks; ++i) P[3 * i] = 500.0f;  // all x equal
        } else if (t % 4 == 3) {
            for (float& v : P) v = v * 1.0e-3f + 1.0e-7f * static_cast<float>(t);  // tiny poses
        }
        float M[kCoords];  // the x-negated pose
        for (int i = 0; i < kCoords; ++i) M[i] = (i % 3 == 0) ? P[i] * -1.0f : P[i];
        const bool ok = embed(M, 2.5, a);
        CHECK(ok == embed(P, 2.5, b));
        if (!ok) continue;
        float f[kEmbeddingSize];
        mirror_embedding(b, f);
        bool same = true;
        for (int k = 0; k < kEmbeddingSize; ++k) {
            same &= (a[k] == f[k]);  // equal as values (+0 == -0)
            if (k % 3 != 0) same &= std::memcmp(&a[k], &f[k], sizeof(float)) == 0;
            else if (std::memcmp(&a[k], &f[k], sizeof(float)) != 0) ++sign_only;
            // |s - f| cannot see the sign of a zero.
            const float s = b[(k + 7) % kEmbeddingSize];
            const float d1 = std::fabs(s - a[k]), d2 = std::fabs(s - f[k]);
            same &= std::memcmp(&d1, &d2, sizeof d1) == 0;
        }
        CHECK_MSG(same, "pose " + std::to_string(t));
    }
    std::printf("mirror identity: %d x zeros differed only in sign\n", sign_only);

    // min(max(xe, y, z), max(xf, y, z)) == max(min(xe, xf), y, z) after weighting, for
    // ties and zeros included.
    const float vals[] = {0.0f, 1.0f, 1.0f, 2.5f, 3.0e-7f, 7.0f};
    const double ws[][3] = {{1.0, 1.0, 0.2}, {0.0, 1.0, 1.0}, {0.3, 0.0, 2.0}};
    for (const auto& w : ws)
        for (float xe : vals)
            for (float xf : vals)
                for (float y : vals)
                    for (float z : vals) {
                        const double dy = static_cast<double>(y) * w[1], dz = static_cast<double>(z) * w[2];
                        const double two = std::min(std::max(static_cast<double>(xe) * w[0], std::max(dy, dz)),
                                                    std::max(static_cast<double>(xf) * w[0], std::max(dy, dz)));
                        const double one = std::max(static_cast<double>(std::min(xe, xf)) * w[0], std::max(dy, dz));
                        CHECK(two == one);
                    }

    // The classifier against the brute force (which embeds the mirrored pose itself) with
    // weights that make x, or only y/z, decide; samples include mirror images and poses
    // symmetric in x.
    std::vector<float> samples;
    std::vector<int32_t> ids;
    for (int s = 0; s < 400; ++s) {
        float P[kCoords];
        random_pose(rng, P);
        if (s % 7 == 3) for (int i = 0; i + 1 < kLandmarks; i += 2) P[3 * (i + 1)] = 1000.0f - P[3 * i];
        if (s % 7 == 5 && s >= 10)
            for (int i = 0; i < kCoords; ++i)
                P[i] = (i % 3 == 0 ? -1.0f : 1.0f) * samples[static_cast<std::size_t>(s - 9) * kCoords + i];
        samples.insert(samples.end(), P, P + kCoords);
        ids.push_back(s % 3);
    }
    std::vector<float> queries;
    for (int q = 0; q < 40; ++q) {
        const std::size_t src = static_cast<std::size_t>((q * 53) % 400) * kCoords;
        for (int i = 0; i < kCoords; ++i) {
            float v = samples[src + i];
            if (q % 2) v = (i % 3 == 0 ? -1.0f : 1.0f) * v;  // the mirror image of a sample
            if (q % 3) v += std::normal_distribution<float>(0.0f, 5.0f)(rng);
            queries.push_back(v);
        }
    }
    const double weight_sets[][3] = {{1.0, 1.0, 0.2}, {3.0, 0.5, 0.1}, {0.0, 1.0, 1.0}, {1.0, 0.0, 0.0}};
    for (const auto& w : weight_sets) {
        Params p;
        for (int a = 0; a < 3; ++a) p.axes_weights[a] = w[a];
        compare_with_brute_force(samples, ids, 3, queries, p, "mirror identity weights");
    }
}

// Threaded batches give exactly the serial results, whatever the thread count, with
// invalid frames anywhere and batch sizes around the single-thread cut-off.
static void test_batch_threads() {
    std::mt19937 rng(31);
    const int S = 1500, n_classes = 5;
    const std::vector<float> samples = random_poses(rng, S);
    std::vector<int32_t> ids(S);
    for (int s = 0; s < S; ++s) ids[s] = (s * 7) % n_classes;
    const Classifier clf(samples.data(), S, ids.data(), n_classes);
    const std::size_t K = clf.k();
    const std::size_t F = 403;
    std::vector<float> frames(F * kCoords);
    for (std::size_t f = 0; f < F; ++f) {
        if (f % 3 == 0)
            std::copy_n(&samples[(f * 11 % S) * kCoords], kCoords, &frames[f * kCoords]);
        else
            random_pose(rng, &frames[f * kCoords]);
        if (f % 29 == 5) frames[f * kCoords + 4] = std::numeric_limits<float>::quiet_NaN();
    }
    // Serial, one frame at a time.
    std::vector<int32_t> want_c(F * n_classes), want_n(F * K);
    std::vector<uint8_t> want_v(F);
    std::size_t want_valid = 0;
    for (std::size_t f = 0; f < F; ++f) {
        want_v[f] = clf.counts(&frames[f * kCoords], &want_c[f * n_classes]) ? 1 : 0;
        CHECK(clf.neighbours(&frames[f * kCoords], &want_n[f * K]) == (want_v[f] == 1));
        want_valid += want_v[f];
    }
    CHECK(want_valid < F && want_valid > 0);
    CHECK(batch_threads(31) == 1 && batch_threads(10000, 1) == 1);
    CHECK(batch_threads(1000, 3) == 3 && batch_threads(40, 8) == 3);
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(31), std::size_t(32),
                          std::size_t(33), F}) {
        for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
            std::vector<int32_t> c(n * n_classes + 1, -7), nb(n * K + 1, -7);
            std::vector<uint8_t> v(n + 1, 9), v2(n + 1, 9);
            std::size_t expect = 0;
            for (std::size_t f = 0; f < n; ++f) expect += want_v[f];
            CHECK(clf.counts_batch(frames.data(), n, c.data(), v.data(), threads) == expect);
            CHECK(clf.neighbours_batch(frames.data(), n, nb.data(), v2.data(), threads) == expect);
            // The same indices written as int64 (what the Python module returns).
            std::vector<int64_t> nb64(n * K + 1, -7);
            CHECK(clf.neighbours_batch(frames.data(), n, nb64.data(), nullptr, threads) == expect);
            CHECK(std::equal(nb.begin(), nb.end() - 1, nb64.begin()) && nb64[n * K] == -7);
            bool same = std::equal(want_c.begin(), want_c.begin() + static_cast<std::ptrdiff_t>(n * n_classes), c.begin()) &&
                        std::equal(want_n.begin(), want_n.begin() + static_cast<std::ptrdiff_t>(n * K), nb.begin()) &&
                        std::equal(want_v.begin(), want_v.begin() + static_cast<std::ptrdiff_t>(n), v.begin()) &&
                        std::equal(want_v.begin(), want_v.begin() + static_cast<std::ptrdiff_t>(n), v2.begin());
            // Nothing written past the batch.
            same &= c[n * n_classes] == -7 && nb[n * K] == -7 && v[n] == 9 && v2[n] == 9;
            CHECK_MSG(same, "batch of " + std::to_string(n) + " on " + std::to_string(threads) + " threads");
        }
    }
    // Batches from several threads at once (each splitting over threads of its own).
    std::atomic<int> bad{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t)
        callers.emplace_back([&]() {
            std::vector<int32_t> c(F * n_classes);
            for (int rep = 0; rep < 2; ++rep) {
                clf.counts_batch(frames.data(), F, c.data());
                if (c != want_c) ++bad;
            }
        });
    for (auto& th : callers) th.join();
    CHECK(bad.load() == 0);
}

static void test_mlkit(const std::string& path) {
    if (path.empty() || !fs::exists(path)) {
        std::printf("ML Kit CSV not given or absent (%s): skipping the real-data checks\n", path.c_str());
        return;
    }
    const SampleSet s = load_samples(path);
    CHECK(s.size() == 812);
    CHECK(s.class_names.size() == 4);
    CHECK(s.class_names[0] == "pushups_up");
    CHECK(s.sources[0] == path + ":1");
    CHECK(s.sources[811] == path + ":812");
    // Every sample, and its mirror image, as a query.
    std::vector<float> queries;
    for (std::size_t i = 0; i < s.size(); i += 3) {
        const float* p = &s.landmarks[i * kCoords];
        queries.insert(queries.end(), p, p + kCoords);
        for (int k = 0; k < kCoords; ++k) queries.push_back(k % 3 == 0 ? -p[k] : p[k]);
    }
    const int n = compare_with_brute_force(s.landmarks, s.class_ids, 4, queries, Params(), "ML Kit");
    CHECK(n == 0);
    // The first sample is a push-up "up" pose, and most of its neighbours say so.
    const Classifier clf = make_classifier(s);
    std::vector<int32_t> counts(4);
    CHECK(clf.counts(s.landmarks.data(), counts.data()));
    CHECK(counts[0] >= 6);
    CHECK(counts[0] + counts[1] + counts[2] + counts[3] == 10);
}

// The code of the pyengine::Error that fn() throws (fails the check when none is thrown).
template <class Fn>
static ErrorCode error_code_of(Fn fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.code();
    }
    CHECK_MSG(false, "no pyengine::Error thrown");
    return ErrorCode::invalid_argument;
}

static void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

static std::string row(const std::string& head, float base, int n_coords = kCoords) {
    std::string r = head;
    std::mt19937 rng(static_cast<unsigned>(base));
    std::uniform_real_distribution<float> u(0.0f, 500.0f);
    for (int i = 0; i < n_coords; ++i) r += "," + std::to_string(base + u(rng));
    return r;
}

static void test_samples() {
    const fs::path dir = fs::temp_directory_path() / ("pyengine_test_samples_" + std::to_string(std::random_device{}()));
    fs::remove_all(dir);
    fs::create_directories(dir / "folder");
    // Single CSV: BOM, CRLF, a quoted name with a comma, a blank line, a "+" sign.
    const std::string single = (dir / "single.csv").string();
    std::string r3 = row("c,b", 3.0f);
    r3.replace(r3.find(",b,") + 3, 0, "+");
    write_file(single, "\xEF\xBB\xBF" + row("a,up", 1.0f) + "\r\n" + row("\"b,1\",down", 2.0f) +
                           "\r\n\r\n" + r3 + "\r\n");
    SampleSet s = load_samples(single);
    CHECK(s.size() == 3);
    CHECK(s.names[1] == "b,1");
    CHECK(s.class_names == (std::vector<std::string>{"up", "down", "b"}));
    CHECK(s.class_ids == (std::vector<int32_t>{0, 1, 2}));
    CHECK(s.sources[2] == single + ":4");

    // Folder: files in sorted name order, class = file stem, 1 + 99 fields.
    write_file(dir / "folder" / "zeta.csv", row("z1", 5.0f) + "\n" + row("z2", 6.0f) + "\n");
    write_file(dir / "folder" / "alpha.CSV", row("a1", 7.0f) + "\n");
    write_file(dir / "folder" / "notes.txt", "not a csv\n");
    s = load_samples((dir / "folder").string());
    CHECK(s.size() == 3);
    CHECK(s.class_names == (std::vector<std::string>{"alpha", "zeta"}));
    CHECK(s.names == (std::vector<std::string>{"a1", "z1", "z2"}));

    // Errors name file, line and field.
    const std::string bad = (dir / "bad.csv").string();
    write_file(bad, row("a,up", 1.0f) + "\n" + row("b,up", 1.0f, 98) + "\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), bad + ":2: expected 101 fields (name, class, 99 coordinates), found 100");
    std::string r = row("a,up", 1.0f);
    std::size_t pos = 0;
    for (int i = 0; i < 6; ++i) pos = r.find(',', pos) + 1;  // 7th field = left_eye_inner.y
    r.replace(pos, r.find(',', pos) - pos, "abc");
    write_file(bad, "\n" + r + "\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), bad + ":2: field 7 (left_eye_inner.y) is not a number: 'abc'");
    r = row("a,up", 1.0f);
    r = r.substr(0, r.rfind(',')) + ",1e39";
    write_file(bad, r + "\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), bad + ":1: field 101 (right_foot_index.z) is not finite: '1e39'");
    r = row("a,up", 1.0f);
    r = r.substr(0, r.rfind(',')) + ",nan";
    write_file(bad, r + "\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), "is not finite: 'nan'");
    write_file(bad, row(" ,up", 1.0f) + "\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), bad + ":1: field 1 (sample name) is empty");
    write_file(bad, "\r\n\r\n");
    CHECK_THROWS(SampleFileError, load_samples(bad), bad + ": file is empty (no sample rows)");
    CHECK_THROWS(SampleFileError, load_samples((dir / "missing.csv").string()), "missing.csv: no such file or folder");
    fs::create_directories(dir / "empty");
    CHECK_THROWS(SampleFileError, load_samples((dir / "empty").string()), "folder holds no <class_name>.csv files");
    // A sample that cannot be embedded: every landmark on one point.
    std::string flat = "flat,up";
    for (int i = 0; i < kCoords; ++i) flat += ",5";
    write_file(bad, row("a,up", 1.0f) + "\n" + flat + "\n");
    s = load_samples(bad);
    CHECK_THROWS(SampleFileError, make_classifier(s), bad + ":2: sample 'flat' cannot be embedded");

    // Each error carries its code: what the C ABI's statuses are made from.
    CHECK(error_code_of([&] { make_classifier(s); }) == ErrorCode::invalid_sample);
    CHECK(error_code_of([&] { load_samples((dir / "missing.csv").string()); }) == ErrorCode::io);
    CHECK(error_code_of([&] { load_samples((dir / "empty").string()); }) == ErrorCode::parse);
    write_file(bad, row("a,up", 1.0f, 98) + "\n");
    CHECK(error_code_of([&] { load_samples(bad); }) == ErrorCode::parse);
    CHECK(error_code_of([&] { Classifier(s.landmarks.data(), 1, s.class_ids.data(), 0); }) ==
          ErrorCode::invalid_argument);
    CHECK(error_code_of([&] { Classifier(s.landmarks.data() + kCoords, 1, s.class_ids.data(), 1); }) ==
          ErrorCode::invalid_sample);
    fs::remove_all(dir);
}

static void test_smoothing_and_counter() {
    EMASmoothing sm(2, 3, 0.5);
    double out[2];
    const int32_t a[2] = {10, 0}, b[2] = {0, 10};
    sm.update(a, out);
    CHECK(out[0] == 10.0 && out[1] == 0.0);
    sm.update(b, out);
    // newest first: factor 1 for b, 0.5 for a.
    CHECK(out[0] == (1.0 * 0.0 + 0.5 * 10.0) / (1.0 + 0.5));
    CHECK(out[1] == (1.0 * 10.0 + 0.5 * 0.0) / (1.0 + 0.5));
    sm.update_no_pose(out);
    CHECK(out[0] == ((0.0 + 0.5 * 0.0) + 0.25 * 10.0) / ((1.0 + 0.5) + 0.25));
    sm.update(a, out);  // window of 3: the first frame has dropped out
    CHECK(out[0] == ((10.0 + 0.5 * 0.0) + 0.25 * 0.0) / ((1.0 + 0.5) + 0.25));
    CHECK(out[1] == ((0.0 + 0.5 * 0.0) + 0.25 * 10.0) / ((1.0 + 0.5) + 0.25));
    CHECK(sm.frames_in_window() == 3);
    sm.reset();
    sm.update(b, out);
    CHECK(out[0] == 0.0 && out[1] == 10.0);
    // The default alpha: factors built by repeated multiplication.
    EMASmoothing d(1);
    const int32_t v[1] = {7};
    for (int i = 0; i < 12; ++i) d.update(v, out);
    double top = 0, bottom = 0, factor = 1.0;
    for (int i = 0; i < 10; ++i) {
        top += factor * 7.0;
        bottom += factor;
        factor *= 1.0 - 0.2;
    }
    CHECK(out[0] == top / bottom);
    CHECK_THROWS(InvalidArgumentError, EMASmoothing(2, 0, 0.2), "window_size");
    CHECK_THROWS(InvalidArgumentError, EMASmoothing(2, 10, 0.0), "alpha");

    RepetitionCounter c;  // enter > 6, leave < 4
    const double seq[] = {0, 5, 6, 6.5, 9, 5, 4, 3.9, 2, 7, 10, 3, 6.01, 4.0, 3.99};
    int reps = 0;
    for (double x : seq) reps = c.update(x);
    CHECK(reps == 3);
    CHECK(!c.pose_entered());
    c.update(8);
    CHECK(c.pose_entered());
    CHECK(c.update_no_pose() == 3);
    CHECK(c.pose_entered());
    CHECK(c.update(1) == 4);
    c.reset();
    CHECK(c.n_repeats() == 0 && !c.pose_entered());
    CHECK_THROWS(InvalidArgumentError, RepetitionCounter(4, 6),
                 "exit_threshold must be below enter_threshold (4.0), got 6.0");
}

// The message of the InvalidArgumentError that s.validate() throws ("" when valid).
static std::string rejection(const Settings& s) {
    try {
        s.validate();
    } catch (const InvalidArgumentError& e) {
        return e.what();
    }
    return "";
}

static void test_settings() {
    // One set of defaults, the published ones, seen through every part.
    const Settings d;
    CHECK(d.classifier.top_n_by_max_distance == 30 && d.classifier.top_n_by_mean_distance == 10);
    CHECK(d.classifier.axes_weights[0] == 1.0 && d.classifier.axes_weights[1] == 1.0 &&
          d.classifier.axes_weights[2] == 0.2 && d.classifier.torso_size_multiplier == 2.5);
    CHECK(d.smoothing.window_size == 10 && d.smoothing.alpha == 0.2);
    CHECK(d.counter.enter_threshold == 6.0 && d.counter.exit_threshold == 4.0);
    CHECK(rejection(d).empty());
    const EMASmoothing smoothing(3);
    CHECK(smoothing.window_size() == 10 && smoothing.alpha() == 0.2);
    const RepetitionCounter counter;
    CHECK(counter.enter_threshold() == 6.0 && counter.exit_threshold() == 4.0);

    // Each rule, with the setting and its value in the message.
    struct Case {
        void (*change)(Settings&);
        const char* message;
    };
    const Case cases[] = {
        {[](Settings& s) { s.classifier.top_n_by_max_distance = 0; },
         "top_n_by_max_distance must be >= 1, got 0"},
        {[](Settings& s) { s.classifier.top_n_by_mean_distance = -3; },
         "top_n_by_mean_distance must be >= 1, got -3"},
        {[](Settings& s) { s.classifier.top_n_by_mean_distance = 31; },
         "top_n_by_mean_distance must not exceed top_n_by_max_distance (30), got 31"},
        {[](Settings& s) { s.classifier.axes_weights[2] = -0.5; },
         "axes_weights[2] must be finite and >= 0, got -0.5"},
        {[](Settings& s) { s.classifier.axes_weights[0] = std::numeric_limits<double>::infinity(); },
         "axes_weights[0] must be finite and >= 0, got inf"},
        {[](Settings& s) { s.classifier.torso_size_multiplier = 0.0; },
         "torso_size_multiplier must be finite and > 0, got 0.0"},
        {[](Settings& s) { s.smoothing.window_size = 0; }, "window_size must be a positive integer, got 0"},
        {[](Settings& s) { s.smoothing.alpha = 1.5; }, "alpha must be in (0, 1], got 1.5"},
        {[](Settings& s) { s.smoothing.alpha = 0.0; }, "alpha must be in (0, 1], got 0.0"},
        {[](Settings& s) { s.counter.enter_threshold = std::nan(""); },
         "enter_threshold must be finite, got nan"},
        {[](Settings& s) { s.counter.exit_threshold = -std::numeric_limits<double>::infinity(); },
         "exit_threshold must be finite, got -inf"},
        {[](Settings& s) { s.counter.exit_threshold = 6.0; },
         "exit_threshold must be below enter_threshold (6.0), got 6.0"},
        {[](Settings& s) { s.counter.exit_threshold = 0.0; },
         "exit_threshold must be > 0, got 0.0: the confidence is never below 0, so the pose "
         "would never be left"},
        {[](Settings& s) { s.counter.enter_threshold = 10.0; },
         "enter_threshold must be below top_n_by_mean_distance (10), got 10.0: the smoothed "
         "confidence never exceeds top_n_by_mean_distance, so the pose would never be entered"},
    };
    for (const Case& c : cases) {
        Settings s;
        c.change(s);
        const std::string got = rejection(s);
        CHECK_MSG(got == c.message, "got \"" + got + "\", want \"" + c.message + "\"");
    }
    // The first broken rule in the documented order is the one reported.
    Settings many;
    many.counter.exit_threshold = 0.0;
    many.smoothing.alpha = 2.0;
    many.classifier.torso_size_multiplier = -1.0;
    CHECK(rejection(many).rfind("torso_size_multiplier", 0) == 0);
    many.classifier.top_n_by_mean_distance = 40;
    CHECK(rejection(many).rfind("top_n_by_mean_distance", 0) == 0);
    // Edges that are valid: mean == max, exit just above 0, enter just below top_n_by_mean.
    Settings edge;
    edge.classifier.top_n_by_max_distance = edge.classifier.top_n_by_mean_distance = 7;
    edge.counter.exit_threshold = 1e-9;
    edge.counter.enter_threshold = std::nextafter(7.0, 0.0);
    edge.smoothing.alpha = 1.0;
    edge.smoothing.window_size = 1;
    CHECK(rejection(edge).empty());

    // Each part alone applies its own rules only; the cross rule needs both parts.
    CHECK_THROWS(InvalidArgumentError, RepetitionCounter(5, 5), "exit_threshold must be below");
    CHECK_THROWS(InvalidArgumentError, RepetitionCounter(5, 0), "exit_threshold must be > 0");
    CHECK(RepetitionCounter(50, 4).enter_threshold() == 50.0);
    Params p;
    p.top_n_by_mean_distance = 40;
    CHECK_THROWS(InvalidArgumentError, p.validate(), "must not exceed top_n_by_max_distance");
    CHECK_THROWS(InvalidArgumentError, EMASmoothing(2, 10, 1.0000001), "alpha must be in (0, 1]");
    CHECK_THROWS(InvalidArgumentError, validate_torso_size_multiplier(std::nan("")), "got nan");

    // Values are written as Python's repr() writes floats.
    const std::pair<double, const char*> numbers[] = {
        {0.2, "0.2"}, {10.0, "10.0"}, {-0.0, "-0.0"}, {1e-7, "1e-07"}, {0.0001, "0.0001"},
        {0.00001, "1e-05"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {123.456, "123.456"},
        {1.0 / 3.0, "0.3333333333333333"}, {5e-324, "5e-324"}, {1.5e300, "1.5e+300"},
        {std::numeric_limits<double>::max(), "1.7976931348623157e+308"}, {-2.5, "-2.5"}};
    for (const auto& n : numbers)
        CHECK_MSG(detail::format_number(n.first) == n.second,
                  detail::format_number(n.first) + " != " + n.second);
}

int main(int argc, char** argv) {
    test_embedding();
    test_classifier_synthetic();
    test_threads();
    test_mirror_identity();
    test_batch_threads();
    test_mlkit(argc > 1 ? argv[1] : "");
    test_samples();
    test_smoothing_and_counter();
    test_settings();
    TEST_MAIN_END();
}
