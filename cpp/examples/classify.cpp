// Classify a pose with the header-only C++ core: load argv[1] (single CSV or folder of
// per-class CSVs), classify sample argv[2] (default 0) and its mirror image, print counts,
// then run the EMA smoother and repetition counter over a short synthetic sequence.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "pyengine/core.hpp"

static void print_counts(const pyengine::Classifier& clf, const char* label, const float* pose) {
    std::vector<int32_t> counts(static_cast<std::size_t>(clf.n_classes()));
    const bool ok = clf.counts(pose, counts.data());
    std::printf("%s%s", label, ok ? "" : " no_pose");
    for (int c = 0; c < clf.n_classes(); ++c)
        std::printf(" %s=%d", clf.class_names()[static_cast<std::size_t>(c)].c_str(),
                    static_cast<int>(counts[static_cast<std::size_t>(c)]));
    std::printf("\n");
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SAMPLES.csv [SAMPLE_INDEX]\n", argv[0]);
        return 2;
    }
    try {
        const pyengine::SampleSet samples = pyengine::load_samples(argv[1]);
        const pyengine::Classifier clf = pyengine::make_classifier(samples);
        const std::size_t index = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 0;
        if (index >= samples.size()) {
            std::fprintf(stderr, "error: sample index %zu out of range (%zu samples)\n", index,
                         samples.size());
            return 1;
        }
        std::printf("pyengine %s\nsamples=%zu classes=%d\n", PYENGINE_VERSION_STRING,
                    clf.n_samples(), clf.n_classes());
        const float* pose = samples.landmarks.data() + index * pyengine::kCoords;
        float mirrored[pyengine::kCoords];
        for (int i = 0; i < pyengine::kCoords; ++i) mirrored[i] = (i % 3 == 0) ? -pose[i] : pose[i];
        print_counts(clf, "sample", pose);
        print_counts(clf, "mirrored", mirrored);

        // Smoothing and counting: alternate between two samples of different classes.
        const int target = samples.class_ids[index];
        std::size_t other = 0;
        while (other < samples.size() && samples.class_ids[other] == target) ++other;
        if (other < samples.size()) {
            pyengine::EMASmoothing smoother(clf.n_classes());
            pyengine::RepetitionCounter counter;
            std::vector<int32_t> counts(static_cast<std::size_t>(clf.n_classes()));
            std::vector<double> smoothed(counts.size());
            int reps = 0;
            for (int frame = 0; frame < 60; ++frame) {
                const std::size_t s = (frame / 10) % 2 == 0 ? index : other;
                clf.counts(samples.landmarks.data() + s * pyengine::kCoords, counts.data());
                smoother.update(counts.data(), smoothed.data());
                reps = counter.update(smoothed[static_cast<std::size_t>(target)]);
            }
            std::printf("repetitions of %s over 60 synthetic frames: %d\n",
                        samples.class_names[static_cast<std::size_t>(target)].c_str(), reps);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
