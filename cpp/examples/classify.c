/* Classify a pose through the C ABI: load the samples given as argv[1] (single CSV or
 * folder of per-class CSVs), classify sample number argv[2] (default 0) and its mirror
 * image, and print the neighbour counts per class.
 *
 * Output (one line per query):  <label> <class>=<count> <class>=<count> ...
 */
#include <stdio.h>
#include <stdlib.h>

#include "pyengine/pyengine.h"

static int print_counts(const pyengine_classifier* clf, const char* label, const float* pose) {
    int32_t n = pyengine_classifier_n_classes(clf);
    int32_t* counts = (int32_t*)calloc((size_t)n, sizeof(int32_t));
    int32_t st = pyengine_classify(clf, pose, counts, n);
    if (st < 0) {
        fprintf(stderr, "classify failed: %s\n", pyengine_last_error());
        free(counts);
        return 1;
    }
    printf("%s", label);
    if (st == PYENGINE_NO_POSE) printf(" no_pose");
    for (int32_t c = 0; c < n; ++c) printf(" %s=%d", pyengine_classifier_class_name(clf, c), (int)counts[c]);
    printf("\n");
    free(counts);
    return 0;
}

/* The landmarks of sample `index`, re-read from the CSV (the C ABI copies samples in). */
static int read_sample(const char* path, long index, float* pose) {
    FILE* f = fopen(path, "rb");
    if (!f) return 1;
    char line[1 << 16];
    long row = -1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\r' || line[0] == '\n') continue;
        if (++row != index) continue;
        char* p = line;
        for (int skip = 0; skip < 2; ++skip) { /* name, class */
            while (*p && *p != ',') ++p;
            if (*p == ',') ++p;
        }
        for (int i = 0; i < PYENGINE_N_COORDS; ++i) {
            char* end = NULL;
            pose[i] = (float)strtod(p, &end); /* parse as double, round to float32 */
            if (end == p) { fclose(f); return 1; }
            p = (*end == ',') ? end + 1 : end;
        }
        fclose(f);
        return 0;
    }
    fclose(f);
    return 1;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SAMPLES.csv [SAMPLE_INDEX]\n", argv[0]);
        return 2;
    }
    long index = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    printf("pyengine %s\n", pyengine_version());

    pyengine_classifier* clf = NULL;
    if (pyengine_classifier_create_from_csv(argv[1], NULL, &clf) != PYENGINE_OK) {
        fprintf(stderr, "error: %s\n", pyengine_last_error());
        return 1;
    }
    printf("samples=%d classes=%d\n", (int)pyengine_classifier_n_samples(clf),
           (int)pyengine_classifier_n_classes(clf));

    float pose[PYENGINE_N_COORDS], mirrored[PYENGINE_N_COORDS];
    if (read_sample(argv[1], index, pose) != 0) {
        fprintf(stderr, "error: cannot read sample %ld of %s as a single-CSV row\n", index, argv[1]);
        pyengine_classifier_destroy(clf);
        return 1;
    }
    for (int i = 0; i < PYENGINE_N_COORDS; ++i) mirrored[i] = (i % 3 == 0) ? -pose[i] : pose[i];

    int rc = print_counts(clf, "sample", pose) || print_counts(clf, "mirrored", mirrored);
    pyengine_classifier_destroy(clf);
    return rc;
}
