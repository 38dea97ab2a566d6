// Two-stage max/mean k-NN with a mirrored query (SPEC 4, docs/numerics.md).
//
// Layout: sample embeddings are stored in blocks of kBlock samples, and within a block
// coordinate-major ("AoSoA"): block[c * kBlock + lane]. The stage-1 scan is a plain loop
// over lanes that compilers vectorise with SSE2/NEON. Coordinates are stored in an order
// chosen at construction (one axis per segment, most spread-out first) so that a block
// whose lower bound already exceeds the current 30th-best distance is skipped after a
// few coordinates; the pruning is exact (it only drops samples that cannot be kept).
//
// Thread safety: a Classifier is immutable after construction; every classify call takes
// its scratch from a caller-owned Scratch or from a thread_local one, so any number of
// threads may classify with one Classifier at once. The batch calls split large batches
// over threads of their own (std::thread), each with its own thread_local scratch.
#ifndef PYENGINE_CLASSIFIER_HPP
#define PYENGINE_CLASSIFIER_HPP

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "config.hpp"
#include "embedding.hpp"

// The stage-1 scan uses 4-wide float vectors: SSE2 on x86 (part of every x86-64 CPU), NEON
// on ARM64, plain loops elsewhere. Only subtract, absolute value and maximum are used, all
// exact, so every variant gives bit-identical results.
#if !defined(PYENGINE_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || \
                                   (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
#define PYENGINE_SIMD_SSE2 1
#elif !defined(PYENGINE_NO_SIMD) && (defined(__ARM_NEON) || defined(_M_ARM64))
#include <arm_neon.h>
#define PYENGINE_SIMD_NEON 1
#endif

namespace pyengine {

namespace detail {

struct Cand {
    double d;
    int32_t idx;
};
inline bool cand_less(const Cand& a, const Cand& b) {
    return a.d < b.d || (a.d == b.d && a.idx < b.idx);
}
// Index of the lowest set bit of x != 0.
inline int lowest_bit(unsigned x) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctz(x);
#else
    int i = 0;
    while (!(x & 1u)) {
        x >>= 1;
        ++i;
    }
    return i;
#endif
}

// cand_less as a type, so that the std algorithms inline it (a function pointer is not).
struct CandLess {
    bool operator()(const Cand& a, const Cand& b) const { return cand_less(a, b); }
};

// numpy's pairwise sum of 69 doubles (8 accumulators), then the mean: docs/numerics.md.
inline double numpy_mean69(const double* D) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = D[j];
    for (int i = 8; i < 64; i += 8)
        for (int j = 0; j < 8; ++j) r[j] += D[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (int i = 64; i < kEmbeddingSize; ++i) s += D[i];
    return s / 69.0;
}

// Smallest float m >= 0 with (double)m * w > thr, so that "m >= cut" <=> "(double)m * w > thr"
// (used to reject lanes whose partial maximum already exceeds the threshold).
inline float float_cut(double thr, double w) {
    const float inf = std::numeric_limits<float>::infinity();
    if (w == 0.0) return thr < 0.0 ? 0.0f : inf;
    float m = static_cast<float>(thr / w);
    if (!std::isfinite(m)) return inf;
    if (m < 0.0f) m = 0.0f;
    while (m > 0.0f && static_cast<double>(std::nextafter(m, 0.0f)) * w > thr)
        m = std::nextafter(m, 0.0f);
    while (!(static_cast<double>(m) * w > thr)) {
        m = std::nextafter(m, inf);
        if (std::isinf(m)) break;
    }
    return m;
}

}  // namespace detail

// The embedding of the pose with x negated, from the pose's own embedding `e`: every
// float32 step of embed() is symmetric in the sign of x (round-to-nearest is), so the
// mirrored embedding is `e` with the x column negated; only the sign of a zero can differ
// from embedding the x-negated pose, and |s - f| never sees it (docs/numerics.md).
inline void mirror_embedding(const float* e, float* f) {
    for (int k = 0; k < kEmbeddingSize; k += 3) {
        f[k] = -e[k];
        f[k + 1] = e[k + 1];
        f[k + 2] = e[k + 2];
    }
}

// Batches: frames are handed out in chunks of kBatchChunk to up to kMaxBatchThreads
// threads (the calling thread included); a batch of fewer than 2 * kBatchChunk frames stays
// on the calling thread. Each frame is computed independently, so the result does not
// depend on the number of threads or on which thread took which chunk.
constexpr std::size_t kBatchChunk = 16;
constexpr unsigned kMaxBatchThreads = 16;

// Threads for a batch of n frames: min(hardware threads, kMaxBatchThreads, chunks), or
// `requested` if > 0 (still at most one per chunk).
inline unsigned batch_threads(std::size_t n_frames, unsigned requested = 0) {
    if (n_frames < 2 * kBatchChunk) return 1;
    unsigned t = requested;
    if (t == 0) {
        t = std::thread::hardware_concurrency();
        if (t == 0) t = 1;
        t = std::min(t, kMaxBatchThreads);
    }
    const std::size_t chunks = (n_frames + kBatchChunk - 1) / kBatchChunk;
    return static_cast<unsigned>(std::min<std::size_t>(t, chunks));
}

// Per-call working memory. Reuse one per thread to avoid allocating per frame.
struct Scratch {
    std::vector<detail::Cand> stage1;
    std::vector<detail::Cand> stage2;
    std::vector<float> bound[4];      // per block: per-axis lower bounds (x e, x f, y, z)
    std::vector<double> lower;        // per block: lower bound of dmax
    std::vector<detail::Cand> order;  // blocks by lower bound
    std::vector<uint8_t> done;        // per block: already scanned
};

// The thread's own scratch (used by the overloads without a Scratch argument).
inline Scratch& thread_scratch() {
    static thread_local Scratch s;
    return s;
}

namespace detail {
// fn(first, last, scratch) over chunks of [0, n) on batch_threads(n, n_threads) threads;
// every thread (the caller too) uses its own thread_scratch(). If a thread cannot be
// started the others take its share. The first exception thrown by fn is rethrown here.
template <class Fn>
void parallel_frames(std::size_t n, unsigned n_threads, Fn&& fn) {
    const unsigned t = batch_threads(n, n_threads);
    if (t <= 1) {
        fn(std::size_t(0), n, thread_scratch());
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    auto work = [&]() {
        Scratch& scratch = thread_scratch();
        try {
            for (;;) {
                if (failed.load(std::memory_order_relaxed)) return;
                const std::size_t lo = next.fetch_add(kBatchChunk, std::memory_order_relaxed);
                if (lo >= n) return;
                fn(lo, std::min(n, lo + kBatchChunk), scratch);
            }
        } catch (...) {
            if (!failed.exchange(true)) error = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(t - 1);
    for (unsigned i = 0; i + 1 < t; ++i) {
        try {
            pool.emplace_back(work);
        } catch (const std::system_error&) {
            break;  // no more threads: the started ones and the caller do the rest
        }
    }
    work();
    for (std::thread& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}
}  // namespace detail

class Classifier {
public:
    static constexpr int kBlock = 16;

    // `landmarks`: S x 99 floats; `class_ids`: S ids in [0, n_classes). Every sample must
    // embed, else InvalidSampleError naming the sample index. Params are validated.
    Classifier(const float* landmarks, std::size_t n_samples, const int32_t* class_ids,
               int n_classes, const Params& params = Params(),
               std::vector<std::string> class_names = {})
        : params_(params), n_samples_(n_samples), n_classes_(n_classes),
          class_names_(std::move(class_names)) {
        params_.validate();
        if (n_classes < 1) throw InvalidArgumentError("n_classes must be >= 1");
        if (n_samples > static_cast<std::size_t>(std::numeric_limits<int32_t>::max() - kBlock))
            throw InvalidArgumentError("too many samples");
        if (!class_names_.empty() && class_names_.size() != static_cast<std::size_t>(n_classes))
            throw InvalidArgumentError("class_names must hold n_classes names");
        for (int a = 0; a < 3; ++a) w_[a] = params_.axes_weights[a];
        k1_ = static_cast<std::size_t>(params_.top_n_by_max_distance);
        if (k1_ > n_samples_) k1_ = n_samples_;
        k_ = std::min<std::size_t>(k1_, static_cast<std::size_t>(params_.top_n_by_mean_distance));
        class_ids_.assign(class_ids, class_ids + n_samples);
        for (std::size_t s = 0; s < n_samples; ++s)
            if (class_ids_[s] < 0 || class_ids_[s] >= n_classes)
                throw InvalidArgumentError("class id " + std::to_string(class_ids_[s]) +
                                            " of sample " + std::to_string(s) +
                                            " is outside [0, " + std::to_string(n_classes) + ")");
        std::vector<float> emb(n_samples * kEmbeddingSize);
        for (std::size_t s = 0; s < n_samples; ++s) {
            if (!embed(landmarks + s * kCoords, params_.torso_size_multiplier,
                       emb.data() + s * kEmbeddingSize))
                throw InvalidSampleError("sample " + std::to_string(s) +
                                         " cannot be embedded (NaN/inf landmark or zero pose size)");
        }
        for (int k = 0; k < kEmbeddingSize; ++k) w69_[k] = w_[k % 3];
        choose_order(emb);
        cluster(emb);
        n_blocks_ = (n_samples + kBlock - 1) / kBlock;
        blocks_.assign(n_blocks_ * kEmbeddingSize * kBlock, 0.0f);
        bmin_.assign(static_cast<std::size_t>(kEmbeddingSize) * n_blocks_,
                     std::numeric_limits<float>::max());
        bmax_.assign(static_cast<std::size_t>(kEmbeddingSize) * n_blocks_,
                     std::numeric_limits<float>::lowest());
        for (std::size_t p = 0; p < n_samples; ++p) {
            const std::size_t s = static_cast<std::size_t>(lane_idx_[p]);
            const std::size_t b = p / kBlock;
            float* blk = blocks_.data() + b * kEmbeddingSize * kBlock;
            for (int c = 0; c < kEmbeddingSize; ++c)
                blk[c * kBlock + p % kBlock] = emb[s * kEmbeddingSize + order_[c]];
            for (int k = 0; k < kEmbeddingSize; ++k) {
                const float v = emb[s * kEmbeddingSize + k];
                float& lo = bmin_[static_cast<std::size_t>(k) * n_blocks_ + b];
                float& hi = bmax_[static_cast<std::size_t>(k) * n_blocks_ + b];
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
        emb_ = std::move(emb);
    }

    std::size_t n_samples() const { return n_samples_; }
    int n_classes() const { return n_classes_; }
    // Number of neighbours kept per frame: min(top_n_by_mean, top_n_by_max, S).
    std::size_t k() const { return k_; }
    const Params& params() const { return params_; }
    const std::vector<std::string>& class_names() const { return class_names_; }
    const std::vector<int32_t>& class_ids() const { return class_ids_; }

    // Kept sample indices, ordered by (dmean, index), into `out` (k() entries, int32_t or
    // int64_t). Returns false for "no pose" (out then holds -1).
    template <class Index>
    bool neighbours(const float* landmarks, Index* out, Scratch& scratch) const {
        static_assert(std::is_same<Index, int32_t>::value || std::is_same<Index, int64_t>::value,
                      "sample indices are written as int32_t or int64_t");
        if (!select(landmarks, scratch)) {
            std::fill_n(out, k_, Index(-1));
            return false;
        }
        for (std::size_t i = 0; i < k_; ++i) out[i] = scratch.stage2[i].idx;
        return true;
    }
    template <class Index>
    bool neighbours(const float* landmarks, Index* out) const {
        return neighbours(landmarks, out, thread_scratch());
    }

    // Neighbour counts per class into `counts` (n_classes() entries). Returns false for
    // "no pose" (counts then all 0).
    bool counts(const float* landmarks, int32_t* counts, Scratch& scratch) const {
        std::fill_n(counts, n_classes_, 0);
        if (!select(landmarks, scratch)) return false;
        for (std::size_t i = 0; i < k_; ++i)
            ++counts[class_ids_[static_cast<std::size_t>(scratch.stage2[i].idx)]];
        return true;
    }
    bool counts(const float* landmarks, int32_t* counts) const {
        return this->counts(landmarks, counts, thread_scratch());
    }

    // Many frames: `landmarks` F x 99, `counts` F x n_classes, `valid` F (may be null).
    // Returns the number of frames with a pose. Large batches are split over threads
    // (`n_threads` = 0: batch_threads(); 1: the calling thread only); the results are the
    // same for every thread count.
    std::size_t counts_batch(const float* landmarks, std::size_t n_frames, int32_t* counts,
                             uint8_t* valid = nullptr, unsigned n_threads = 0) const {
        return for_each_frame(n_frames, valid, n_threads, [&](std::size_t i, Scratch& scratch) {
            return this->counts(landmarks + i * kCoords,
                                counts + i * static_cast<std::size_t>(n_classes_), scratch);
        });
    }

    // Many frames: `out` F x k() indices (int32_t or int64_t; -1 rows for no pose); the
    // rest as counts_batch.
    template <class Index>
    std::size_t neighbours_batch(const float* landmarks, std::size_t n_frames, Index* out,
                                 uint8_t* valid = nullptr, unsigned n_threads = 0) const {
        return for_each_frame(n_frames, valid, n_threads, [&](std::size_t i, Scratch& scratch) {
            return neighbours(landmarks + i * kCoords, out + i * k_, scratch);
        });
    }

private:
    // Runs `classify_one(i, scratch) -> bool` for every frame i, split over threads as
    // counts_batch describes; records validity and returns the number of valid frames.
    template <class ClassifyOne>
    std::size_t for_each_frame(std::size_t n_frames, uint8_t* valid, unsigned n_threads,
                               const ClassifyOne& classify_one) const {
        std::atomic<std::size_t> n_valid{0};
        detail::parallel_frames(n_frames, n_threads,
                                [&](std::size_t lo, std::size_t hi, Scratch& scratch) {
            std::size_t v = 0;
            for (std::size_t i = lo; i < hi; ++i) {
                const bool ok = classify_one(i, scratch);
                if (valid) valid[i] = ok ? 1 : 0;
                v += ok;
            }
            n_valid.fetch_add(v, std::memory_order_relaxed);
        });
        return n_valid.load();
    }

    // One single-axis run of stored coordinates; a pruning check may follow it.
    struct Segment {
        int axis, begin, end;
        bool check;
    };

    // Storage order of the coordinates inside a block: one axis per segment, the most
    // spread-out coordinates first, so that far samples are rejected early.
    void choose_order(const std::vector<float>& emb) {
        double spread[kEmbeddingSize];
        const double n = static_cast<double>(std::max<std::size_t>(n_samples_, 1));
        for (int c = 0; c < kEmbeddingSize; ++c) {
            double s1 = 0.0, s2 = 0.0;
            for (std::size_t s = 0; s < n_samples_; ++s) {
                const double v = emb[s * kEmbeddingSize + c];
                s1 += v;
                s2 += v * v;
            }
            const double var = std::max(0.0, s2 / n - (s1 / n) * (s1 / n));
            spread[c] = std::sqrt(var) * w_[c % 3];
        }
        std::vector<int> per_axis[3];
        for (int c = 0; c < kEmbeddingSize; ++c) per_axis[c % 3].push_back(c);
        for (auto& v : per_axis)
            std::stable_sort(v.begin(), v.end(),
                             [&](int a, int b) { return spread[a] > spread[b]; });
        int ax[3] = {0, 1, 2};
        std::stable_sort(ax, ax + 3, [&](int a, int b) {
            return spread[per_axis[a][0]] > spread[per_axis[b][0]];
        });
        constexpr int kHead = 6;
        int pos = 0;
        auto add = [&](int axis, int from, int to, bool check) {
            if (to <= from) return;
            segments_.push_back({axis, pos, pos + (to - from), check});
            for (int i = from; i < to; ++i) order_[pos++] = per_axis[axis][i];
        };
        add(ax[0], 0, kHead, false);
        add(ax[1], 0, kHead, true);
        add(ax[0], kHead, kEmbeddingRows, false);
        add(ax[1], kHead, kEmbeddingRows, true);
        add(ax[2], 0, kEmbeddingRows, false);
    }

    // Storage order of the samples: a k-d style recursive median split on the most
    // spread-out coordinate, so that each block holds similar poses and its bounding box
    // (a lower bound of every distance in it) is tight. Indices stay the original ones.
    void cluster(const std::vector<float>& emb) {
        lane_idx_.resize(n_samples_);
        for (std::size_t s = 0; s < n_samples_; ++s) lane_idx_[s] = static_cast<int32_t>(s);
        split(emb, 0, n_samples_);
    }
    void split(const std::vector<float>& emb, std::size_t lo, std::size_t hi) {
        while (hi - lo > static_cast<std::size_t>(kBlock)) {
            int best = 0;
            double best_range = -1.0;
            for (int k = 0; k < kEmbeddingSize; ++k) {
                float mn = std::numeric_limits<float>::max(), mx = std::numeric_limits<float>::lowest();
                for (std::size_t p = lo; p < hi; ++p) {
                    const float v = emb[static_cast<std::size_t>(lane_idx_[p]) * kEmbeddingSize + k];
                    mn = std::min(mn, v);
                    mx = std::max(mx, v);
                }
                const double r = (static_cast<double>(mx) - mn) * w_[k % 3];
                if (r > best_range) {
                    best_range = r;
                    best = k;
                }
            }
            const std::size_t half_blocks = ((hi - lo) / kBlock + 1) / 2;
            const std::size_t mid = lo + std::max<std::size_t>(1, half_blocks) * kBlock;
            std::nth_element(lane_idx_.begin() + static_cast<std::ptrdiff_t>(lo),
                             lane_idx_.begin() + static_cast<std::ptrdiff_t>(mid),
                             lane_idx_.begin() + static_cast<std::ptrdiff_t>(hi),
                             [&](int32_t a, int32_t b) {
                                 const float va = emb[static_cast<std::size_t>(a) * kEmbeddingSize + best];
                                 const float vb = emb[static_cast<std::size_t>(b) * kEmbeddingSize + best];
                                 return va < vb || (va == vb && a < b);
                             });
            split(emb, lo, mid);
            lo = mid;
        }
    }

    // Selects the frame's k() neighbours into scratch.stage2[0, k()), ordered by (dmean,
    // index); false for "no pose" (the pose cannot be embedded).
    bool select(const float* landmarks, Scratch& scratch) const {
        float e[kEmbeddingSize], f[kEmbeddingSize];
        if (!embed(landmarks, params_.torso_size_multiplier, e)) return false;
        mirror_embedding(e, f);
        neighbours_embedded(e, f, scratch);
        return true;
    }

    // Stage 1 (blocks in order of their lower bound, pruned exactly), then stage 2.
    // `f` is mirror_embedding(e): it differs from e in the sign of x only, so stage 1
    // scans x for both queries and y, z once (docs/numerics.md, "Mirror identity").
    void neighbours_embedded(const float* e, const float* f, Scratch& scratch) const {
        if (k_ == 0) return;
        float qe[kEmbeddingSize], qf[kEmbeddingSize];
        for (int c = 0; c < kEmbeddingSize; ++c) {
            qe[c] = e[order_[c]];
            qf[c] = f[order_[c]];
        }
        std::vector<detail::Cand>& top = scratch.stage1;
        const bool small = k1_ <= 256;  // else collect every distance and select
        if (top.capacity() < (small ? k1_ + 1 : n_samples_)) top.reserve(small ? k1_ + 1 : n_samples_);
        top.clear();
        State st;

        if (small) {
            // Lower bound of every block from its bounding box; scan the most promising
            // blocks first to get a tight threshold, then every block that can still win.
            block_bounds(e, f, scratch);
            std::vector<detail::Cand>& ord = scratch.order;
            // The few most promising blocks first (enough to fill the top, sorted by their
            // bound) for a tight threshold, then one pass over the rest in storage order.
            // Sorting every block costs more than it saves (measured on 812 samples).
            const std::size_t n_first = std::min(n_blocks_, (k1_ + kBlock - 1) / kBlock + 4);
            std::nth_element(ord.begin(), ord.begin() + static_cast<std::ptrdiff_t>(n_first - 1),
                             ord.end(), detail::CandLess());
            std::sort(ord.begin(), ord.begin() + static_cast<std::ptrdiff_t>(n_first), detail::CandLess());
            std::vector<uint8_t>& done = scratch.done;
            done.assign(n_blocks_, 0);
            for (std::size_t i = 0; i < n_first; ++i) {
                const std::size_t b = static_cast<std::size_t>(ord[i].idx);
                done[b] = 1;
                if (st.full && ord[i].d > st.thr) break;  // sorted: no later one can win
                scan_block(b, qe, qf, top, st);
            }
            const double* lb = scratch.lower.data();
            for (std::size_t b = 0; b < n_blocks_; ++b) {
                if (done[b] || (st.full && lb[b] > st.thr)) continue;
                scan_block(b, qe, qf, top, st);
            }
        } else {
            for (std::size_t b = 0; b < n_blocks_; ++b) scan_block(b, qe, qf, top, st, false);
            std::nth_element(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(k1_ - 1),
                             top.end(), detail::CandLess());
            top.resize(k1_);
        }

        // Stage 2: exact numpy-order mean for the kept samples.
        std::vector<detail::Cand>& st2 = scratch.stage2;
        if (st2.capacity() < top.size()) st2.reserve(top.size());
        st2.clear();
        double De[kEmbeddingSize], Df[kEmbeddingSize];
        for (const detail::Cand& c : top) {
            const float* s = emb_.data() + static_cast<std::size_t>(c.idx) * kEmbeddingSize;
            for (int i = 0; i < kEmbeddingSize; ++i) {
                De[i] = static_cast<double>(std::fabs(s[i] - e[i])) * w69_[i];
                Df[i] = static_cast<double>(std::fabs(s[i] - f[i])) * w69_[i];
            }
            st2.push_back({std::min(detail::numpy_mean69(De), detail::numpy_mean69(Df)), c.idx});
        }
        std::partial_sort(st2.begin(), st2.begin() + static_cast<std::ptrdiff_t>(k_), st2.end(),
                          detail::CandLess());
    }

    // The stage-1 selection state: the worst kept distance and its per-axis float cut.
    struct State {
        bool full = false;
        bool cut_stale = false;
        double thr = std::numeric_limits<double>::infinity();
        float t[3] = {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::infinity()};
    };

    // st.t = the per-axis float cuts of st.thr, recomputed only after st.thr changed.
    void refresh_cut(State& st) const {
        if (!st.cut_stale) return;
        for (int a = 0; a < 3; ++a) st.t[a] = detail::float_cut(st.thr, w_[a]);
        st.cut_stale = false;
    }

    // scratch.lower[b] (and scratch.order) = a lower bound of dmax over block b, from the
    // distance of the query to the block's bounding box, rounded like |s - q|: per axis
    // the largest coordinate gap, then max(wx * min(gap_x(e), gap_x(f)), wy * gap_y, wz * gap_z).
    void block_bounds(const float* e, const float* f, Scratch& scratch) const {
        for (auto& v : scratch.bound) v.assign(n_blocks_, 0.0f);
        float* bxe = scratch.bound[0].data();
        float* bxf = scratch.bound[1].data();
        float* by = scratch.bound[2].data();
        float* bz = scratch.bound[3].data();
        const std::size_t nb = n_blocks_;
        // Distance from q to [lo, hi], rounded like |s - q| (monotone, so a lower bound).
        for (int k = 0; k < kEmbeddingSize; ++k) {
            const float* lo = bmin_.data() + static_cast<std::size_t>(k) * nb;
            const float* hi = bmax_.data() + static_cast<std::size_t>(k) * nb;
            const int a = k % 3;
            const float q = e[k];
            if (a == 0) {
                const float r = f[k];
                for (std::size_t b = 0; b < nb; ++b) {
                    bxe[b] = std::max(bxe[b], std::max(lo[b] - q, q - hi[b]));
                    bxf[b] = std::max(bxf[b], std::max(lo[b] - r, r - hi[b]));
                }
            } else {
                float* be = a == 1 ? by : bz;
                for (std::size_t b = 0; b < nb; ++b)
                    be[b] = std::max(be[b], std::max(lo[b] - q, q - hi[b]));
            }
        }
        std::vector<detail::Cand>& ord = scratch.order;
        ord.resize(nb);
        scratch.lower.resize(nb);
        for (std::size_t b = 0; b < nb; ++b) {
            const double x = static_cast<double>(std::min(bxe[b], bxf[b])) * w_[0];
            const double y = static_cast<double>(by[b]) * w_[1], z = static_cast<double>(bz[b]) * w_[2];
            const double d = std::max(x, std::max(y, z));
            ord[b] = {d, static_cast<int32_t>(b)};
            scratch.lower[b] = d;
        }
    }

    // Scan one block: exact per-axis maxima (x for both queries, y and z once), early exit
    // when no lane can enter the top, then insert the lanes that do.
    void scan_block(std::size_t b, const float* qe, const float* qf,
                    std::vector<detail::Cand>& top, State& st, bool small = true) const {
        alignas(64) float m[3][kBlock];  // x for e, y, z
        alignas(64) float mxf[kBlock];   // x for f
        for (int l = 0; l < kBlock; ++l) m[0][l] = m[1][l] = m[2][l] = mxf[l] = 0.0f;
        const float* blk = blocks_.data() + b * kEmbeddingSize * kBlock;
        const std::size_t base = b * kBlock;
        const int lanes = static_cast<int>(std::min<std::size_t>(kBlock, n_samples_ - base));
        for (const Segment& sg : segments_) {
            const int n = sg.end - sg.begin;
            const float* p = blk + sg.begin * kBlock;
            if (sg.axis == 0)
                scan2(p, qe + sg.begin, qf + sg.begin, n, m[0], mxf);
            else
                scan1(p, qe + sg.begin, n, m[sg.axis]);
            if (small && sg.check && st.full) {
                refresh_cut(st);
                if (kept_lanes(m, mxf, st.t, lanes) == 0) return;
            }
        }
        // Lanes that may enter the top: all of them until it is full, then those under the
        // current cut on every axis (the others have dmax > thr).
        unsigned keep = (1u << lanes) - 1u;
        if (small && st.full) {
            refresh_cut(st);
            keep = kept_lanes(m, mxf, st.t, lanes);
        }
        for (; keep != 0; keep &= keep - 1u) {
            const int l = detail::lowest_bit(keep);
            // min(max(xe, y, z), max(xf, y, z)) = max(min(xe, xf), y, z), and weighting
            // (double)v * w is monotone, so it may follow the float32 minimum.
            const double x = static_cast<double>(std::min(m[0][l], mxf[l])) * w_[0];
            const double y = static_cast<double>(m[1][l]) * w_[1];
            const double z = static_cast<double>(m[2][l]) * w_[2];
            const detail::Cand c{std::max(x, std::max(y, z)),
                                 lane_idx_[base + static_cast<std::size_t>(l)]};
            if (!small) {
                top.push_back(c);
                continue;
            }
            if (st.full && !detail::cand_less(c, top.back())) continue;
            std::size_t pos = top.size();
            while (pos > 0 && detail::cand_less(c, top[pos - 1])) --pos;
            top.insert(top.begin() + static_cast<std::ptrdiff_t>(pos), c);
            if (top.size() > k1_) top.pop_back();
            if (top.size() == k1_) {
                st.full = true;
                st.thr = top.back().d;
                st.cut_stale = true;
            }
        }
    }

    // m[l] = max(m[l], |p[c][l] - q[c]|) over c (for the query, and the mirrored one).
#if defined(PYENGINE_SIMD_SSE2)
    static void scan2(const float* p, const float* qe, const float* qf, int n, float* me,
                      float* mf) {
        static_assert(kBlock == 16, "the SSE2 scan handles 16 lanes");
        const __m128 mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
        __m128 e0 = _mm_load_ps(me), e1 = _mm_load_ps(me + 4), e2 = _mm_load_ps(me + 8),
               e3 = _mm_load_ps(me + 12);
        __m128 f0 = _mm_load_ps(mf), f1 = _mm_load_ps(mf + 4), f2 = _mm_load_ps(mf + 8),
               f3 = _mm_load_ps(mf + 12);
        for (int c = 0; c < n; ++c) {
            const __m128 xe = _mm_set1_ps(qe[c]), xf = _mm_set1_ps(qf[c]);
            const float* row = p + c * kBlock;
            const __m128 r0 = _mm_loadu_ps(row), r1 = _mm_loadu_ps(row + 4),
                         r2 = _mm_loadu_ps(row + 8), r3 = _mm_loadu_ps(row + 12);
            e0 = _mm_max_ps(e0, _mm_and_ps(_mm_sub_ps(r0, xe), mask));
            e1 = _mm_max_ps(e1, _mm_and_ps(_mm_sub_ps(r1, xe), mask));
            e2 = _mm_max_ps(e2, _mm_and_ps(_mm_sub_ps(r2, xe), mask));
            e3 = _mm_max_ps(e3, _mm_and_ps(_mm_sub_ps(r3, xe), mask));
            f0 = _mm_max_ps(f0, _mm_and_ps(_mm_sub_ps(r0, xf), mask));
            f1 = _mm_max_ps(f1, _mm_and_ps(_mm_sub_ps(r1, xf), mask));
            f2 = _mm_max_ps(f2, _mm_and_ps(_mm_sub_ps(r2, xf), mask));
            f3 = _mm_max_ps(f3, _mm_and_ps(_mm_sub_ps(r3, xf), mask));
        }
        _mm_store_ps(me, e0); _mm_store_ps(me + 4, e1); _mm_store_ps(me + 8, e2); _mm_store_ps(me + 12, e3);
        _mm_store_ps(mf, f0); _mm_store_ps(mf + 4, f1); _mm_store_ps(mf + 8, f2); _mm_store_ps(mf + 12, f3);
    }
    static void scan1(const float* p, const float* q, int n, float* m) {
        const __m128 mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
        __m128 a0 = _mm_load_ps(m), a1 = _mm_load_ps(m + 4), a2 = _mm_load_ps(m + 8),
               a3 = _mm_load_ps(m + 12);
        for (int c = 0; c < n; ++c) {
            const __m128 x = _mm_set1_ps(q[c]);
            const float* row = p + c * kBlock;
            a0 = _mm_max_ps(a0, _mm_and_ps(_mm_sub_ps(_mm_loadu_ps(row), x), mask));
            a1 = _mm_max_ps(a1, _mm_and_ps(_mm_sub_ps(_mm_loadu_ps(row + 4), x), mask));
            a2 = _mm_max_ps(a2, _mm_and_ps(_mm_sub_ps(_mm_loadu_ps(row + 8), x), mask));
            a3 = _mm_max_ps(a3, _mm_and_ps(_mm_sub_ps(_mm_loadu_ps(row + 12), x), mask));
        }
        _mm_store_ps(m, a0); _mm_store_ps(m + 4, a1); _mm_store_ps(m + 8, a2); _mm_store_ps(m + 12, a3);
    }
#elif defined(PYENGINE_SIMD_NEON)
    static void scan2(const float* p, const float* qe, const float* qf, int n, float* me,
                      float* mf) {
        static_assert(kBlock == 16, "the NEON scan handles 16 lanes");
        float32x4_t e[4], f[4];
        for (int j = 0; j < 4; ++j) {
            e[j] = vld1q_f32(me + 4 * j);
            f[j] = vld1q_f32(mf + 4 * j);
        }
        for (int c = 0; c < n; ++c) {
            const float32x4_t xe = vdupq_n_f32(qe[c]), xf = vdupq_n_f32(qf[c]);
            const float* row = p + c * kBlock;
            for (int j = 0; j < 4; ++j) {
                const float32x4_t r = vld1q_f32(row + 4 * j);
                e[j] = vmaxq_f32(e[j], vabsq_f32(vsubq_f32(r, xe)));
                f[j] = vmaxq_f32(f[j], vabsq_f32(vsubq_f32(r, xf)));
            }
        }
        for (int j = 0; j < 4; ++j) {
            vst1q_f32(me + 4 * j, e[j]);
            vst1q_f32(mf + 4 * j, f[j]);
        }
    }
    static void scan1(const float* p, const float* q, int n, float* m) {
        float32x4_t a[4];
        for (int j = 0; j < 4; ++j) a[j] = vld1q_f32(m + 4 * j);
        for (int c = 0; c < n; ++c) {
            const float32x4_t x = vdupq_n_f32(q[c]);
            const float* row = p + c * kBlock;
            for (int j = 0; j < 4; ++j) a[j] = vmaxq_f32(a[j], vabsq_f32(vsubq_f32(vld1q_f32(row + 4 * j), x)));
        }
        for (int j = 0; j < 4; ++j) vst1q_f32(m + 4 * j, a[j]);
    }
#else
    static void scan2(const float* p, const float* qe, const float* qf, int n, float* me,
                      float* mf) {
        for (int c = 0; c < n; ++c) {
            const float xe = qe[c], xf = qf[c];
            const float* row = p + c * kBlock;
            for (int l = 0; l < kBlock; ++l) {
                me[l] = std::max(me[l], std::fabs(row[l] - xe));
                mf[l] = std::max(mf[l], std::fabs(row[l] - xf));
            }
        }
    }
    static void scan1(const float* p, const float* q, int n, float* m) {
        for (int c = 0; c < n; ++c) {
            const float x = q[c];
            const float* row = p + c * kBlock;
            for (int l = 0; l < kBlock; ++l) m[l] = std::max(m[l], std::fabs(row[l] - x));
        }
    }
#endif

    // Bit l set for each lane (< lanes) that may still enter the top k1; a lane is out when
    // min(x_e, x_f), y or z already reaches the axis cut (partial maxima are lower bounds),
    // so that dmax > thr.
    static unsigned kept_lanes(const float (*m)[kBlock], const float* mxf, const float* t,
                               int lanes) {
#if defined(PYENGINE_SIMD_SSE2)
        const __m128 t0 = _mm_set1_ps(t[0]), t1 = _mm_set1_ps(t[1]), t2 = _mm_set1_ps(t[2]);
        unsigned out = 0;
        for (int j = 0; j < kBlock / 4; ++j) {
            const __m128 px = _mm_and_ps(_mm_cmpge_ps(_mm_load_ps(m[0] + 4 * j), t0),
                                         _mm_cmpge_ps(_mm_load_ps(mxf + 4 * j), t0));
            const __m128 p = _mm_or_ps(_mm_or_ps(px, _mm_cmpge_ps(_mm_load_ps(m[1] + 4 * j), t1)),
                                       _mm_cmpge_ps(_mm_load_ps(m[2] + 4 * j), t2));
            out |= static_cast<unsigned>(_mm_movemask_ps(p)) << (4 * j);
        }
        return ~out & ((1u << lanes) - 1u);
#else
        unsigned keep = 0;
        for (int l = 0; l < kBlock; ++l) {
            const unsigned px = (m[0][l] >= t[0]) & (mxf[l] >= t[0]);
            const unsigned p = px | (m[1][l] >= t[1]) | (m[2][l] >= t[2]);
            keep |= static_cast<unsigned>((l < lanes) & !p) << l;
        }
        return keep;
#endif
    }

    Params params_;
    std::size_t n_samples_;
    int n_classes_;
    std::vector<std::string> class_names_;
    double w_[3];
    std::size_t k1_ = 0, k_ = 0;
    std::vector<int32_t> class_ids_;
    int order_[kEmbeddingSize];
    std::vector<Segment> segments_;
    std::vector<int32_t> lane_idx_;  // storage position -> sample index
    std::size_t n_blocks_ = 0;
    std::vector<float> blocks_;      // [block][coordinate (order_)][lane]
    std::vector<float> bmin_, bmax_; // [coordinate][block] bounding boxes
    std::vector<float> emb_;         // [sample][69] row-major, for stage 2
    double w69_[kEmbeddingSize];     // axis weight of each embedding coordinate
};

}  // namespace pyengine

#endif  // PYENGINE_CLASSIFIER_HPP
