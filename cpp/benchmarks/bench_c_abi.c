/* Per-frame classification time through the C ABI.
 *
 *   bench_c_abi SAMPLES.csv [N_SYNTHETIC=50000] [SECONDS_PER_CASE=1.0]
 *
 * Case 1: the samples of SAMPLES.csv (single-CSV format), every sample as a query.
 * Case 2: N_SYNTHETIC samples made by jittering the real poses (Gaussian noise, 2% of
 *         the pose's extent per coordinate), queried with freshly jittered real poses.
 * Prints one line per case: "case=<name> samples=<S> frames=<F> us_per_frame=<t>".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyengine/pyengine.h"

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned long long rng = 88172645463325252ULL;
static double uniform(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}
static float gauss(void) {
    return (float)(sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()));
}

/* Reads name,class,99 coordinates rows; returns the number of rows. */
static int read_csv(const char* path, float** lms, char*** labels) {
    FILE* f = fopen(path, "rb");
    if (!f) return -1;
    int cap = 1024, n = 0;
    *lms = (float*)malloc(sizeof(float) * 99 * (size_t)cap);
    *labels = (char**)malloc(sizeof(char*) * (size_t)cap);
    static char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\r' || line[0] == '\n') continue;
        if (n == cap) {
            cap *= 2;
            *lms = (float*)realloc(*lms, sizeof(float) * 99 * (size_t)cap);
            *labels = (char**)realloc(*labels, sizeof(char*) * (size_t)cap);
        }
        char* p = strchr(line, ',');
        if (!p) continue;
        char* cls = p + 1;
        p = strchr(cls, ',');
        if (!p) continue;
        *p = '\0';
        (*labels)[n] = strdup(cls);
        ++p;
        for (int i = 0; i < 99; ++i) {
            char* end = NULL;
            (*lms)[(size_t)n * 99 + (size_t)i] = (float)strtod(p, &end);
            p = (*end == ',') ? end + 1 : end;
        }
        ++n;
    }
    fclose(f);
    return n;
}

static void jitter(const float* in, float* out) {
    float lo = in[0], hi = in[0];
    for (int i = 0; i < 99; i += 3) {
        if (in[i] < lo) lo = in[i];
        if (in[i] > hi) hi = in[i];
    }
    for (int i = 0; i < 99; ++i) out[i] = in[i] + 0.02f * (hi - lo) * gauss();
}

static double time_case(const pyengine_classifier* c, const float* queries, int n_queries,
                        double seconds, long* frames_out) {
    int32_t counts[256];
    long frames = 0;
    volatile int32_t sink = 0;
    /* Warm-up. */
    for (int q = 0; q < n_queries && q < 50; ++q) pyengine_classify(c, queries + (size_t)q * 99, counts, 256);
    double t0 = now_s(), t1 = t0;
    while (t1 - t0 < seconds) {
        for (int q = 0; q < n_queries; ++q) {
            pyengine_classify(c, queries + (size_t)q * 99, counts, 256);
            sink += counts[0];
        }
        frames += n_queries;
        t1 = now_s();
    }
    *frames_out = frames;
    (void)sink;
    return (t1 - t0) / (double)frames * 1e6;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SAMPLES.csv [N_SYNTHETIC] [SECONDS_PER_CASE]\n", argv[0]);
        return 2;
    }
    const int n_synth = argc > 2 ? atoi(argv[2]) : 50000;
    const double seconds = argc > 3 ? atof(argv[3]) : 1.0;
    float* lms = NULL;
    char** labels = NULL;
    const int n = read_csv(argv[1], &lms, &labels);
    if (n <= 0) {
        fprintf(stderr, "cannot read samples from %s\n", argv[1]);
        return 1;
    }
    printf("pyengine %s C ABI benchmark\n", pyengine_version());

    pyengine_classifier* c = NULL;
    if (pyengine_classifier_create_from_csv(argv[1], NULL, &c) != PYENGINE_OK) {
        fprintf(stderr, "error: %s\n", pyengine_last_error());
        return 1;
    }
    long frames = 0;
    double us = time_case(c, lms, n, seconds, &frames);
    printf("case=mlkit samples=%d frames=%ld us_per_frame=%.3f\n", n, frames, us);
    pyengine_classifier_destroy(c);

    if (n_synth > 0) {
        float* synth = (float*)malloc(sizeof(float) * 99 * (size_t)n_synth);
        const char** synth_labels = (const char**)malloc(sizeof(char*) * (size_t)n_synth);
        for (int s = 0; s < n_synth; ++s) {
            jitter(lms + (size_t)(s % n) * 99, synth + (size_t)s * 99);
            synth_labels[s] = labels[s % n];
        }
        const int nq = 500;
        float* queries = (float*)malloc(sizeof(float) * 99 * nq);
        for (int q = 0; q < nq; ++q) jitter(lms + (size_t)((q * 7919) % n) * 99, queries + (size_t)q * 99);
        double t0 = now_s();
        if (pyengine_classifier_create_from_labels(synth, n_synth, synth_labels, NULL, &c) != PYENGINE_OK) {
            fprintf(stderr, "error: %s\n", pyengine_last_error());
            return 1;
        }
        double build = now_s() - t0;
        us = time_case(c, queries, nq, seconds, &frames);
        printf("case=synthetic samples=%d frames=%ld us_per_frame=%.3f build_s=%.3f\n", n_synth,
               frames, us, build);
        pyengine_classifier_destroy(c);
        free(queries);
        free(synth);
        free(synth_labels);
    }
    for (int i = 0; i < n; ++i) free(labels[i]);
    free(labels);
    free(lms);
    return 0;
}
