/* Tests of the C ABI, in C. argv[1] (optional): the ML Kit sample CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyengine/pyengine.h"

static int failures = 0, checks = 0;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        ++checks;                                                                    \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

static unsigned rng_state = 12345u;
static float frand(float lo, float hi) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)((rng_state >> 8) & 0xFFFFFF) / 16777216.0f;
}
static void random_pose(float* p) {
    for (int i = 0; i < 33; ++i) {
        p[3 * i] = frand(100, 900);
        p[3 * i + 1] = frand(100, 900);
        p[3 * i + 2] = frand(-400, 400);
    }
}

static void test_basics(void) {
    CHECK(strcmp(pyengine_version(), CMAKE_PROJECT_VERSION_STRING) == 0);
    CHECK(pyengine_version_number() == (CMAKE_PROJECT_VERSION_NUMBER));
    CHECK(strcmp(pyengine_status_string(PYENGINE_NO_POSE), "no pose") == 0);
    pyengine_params p;
    pyengine_params_default(&p);
    CHECK(p.top_n_by_max_distance == 30 && p.top_n_by_mean_distance == 10);
    CHECK(p.axes_weights[2] == 0.2 && p.torso_size_multiplier == 2.5);

    pyengine_classifier* c = (pyengine_classifier*)0x1;
    CHECK(pyengine_classifier_create_from_csv("/nonexistent/x.csv", NULL, &c) == PYENGINE_ERR_IO);
    CHECK(c == NULL);
    CHECK(strstr(pyengine_last_error(), "/nonexistent/x.csv: no such file or folder") != NULL);
    CHECK(pyengine_classifier_create_from_csv(NULL, NULL, &c) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "path") != NULL);
    pyengine_classifier_destroy(NULL);
}

/* Writes `rows` rows of name,class,99 coordinates to `path`; row `flat_row` has every
 * landmark on one point (it cannot be embedded), row `short_row` one field too few. */
static int write_csv(const char* path, int rows, int flat_row, int short_row) {
    FILE* f = fopen(path, "wb");
    if (!f) return 0;
    for (int r = 0; r < rows; ++r) {
        float pose[99];
        random_pose(pose);
        fprintf(f, "s%d,up", r);
        for (int i = 0; i < (r == short_row ? 98 : 99); ++i)
            fprintf(f, ",%.3f", r == flat_row ? 5.0 : (double)pose[i]);
        fprintf(f, "\n");
    }
    return fclose(f) == 0;
}

/* Each kind of failure of the core gets its own status. */
static void test_error_statuses(void) {
    const char* path = "pyengine_test_c_api_samples.csv"; /* in ctest's working folder */
    pyengine_classifier* c = NULL;
    CHECK(write_csv(path, 3, -1, 1));
    CHECK(pyengine_classifier_create_from_csv(path, NULL, &c) == PYENGINE_ERR_PARSE);
    CHECK(strstr(pyengine_last_error(), ":2: expected 101 fields") != NULL);
    CHECK(write_csv(path, 3, 2, -1));
    CHECK(pyengine_classifier_create_from_csv(path, NULL, &c) == PYENGINE_ERR_INVALID_SAMPLE);
    CHECK(strstr(pyengine_last_error(), ":3: sample 's2' cannot be embedded") != NULL);
    CHECK(write_csv(path, 3, -1, -1));
    CHECK(pyengine_classifier_create_from_csv(path, NULL, &c) == PYENGINE_OK);
    CHECK(c != NULL && pyengine_classifier_n_samples(c) == 3);
    pyengine_classifier_destroy(c);
    c = NULL;
    pyengine_params p;
    pyengine_params_default(&p);
    p.top_n_by_max_distance = 0;
    CHECK(pyengine_classifier_create_from_csv(path, &p, &c) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "top_n_by_max_distance") != NULL && c == NULL);
    remove(path);
}

static void test_buffers(void) {
    enum { S = 200 };
    float* lms = (float*)malloc(sizeof(float) * S * 99);
    int32_t ids[S];
    const char* labels[S];
    const char* names[3] = {"a", "b", "c"};
    for (int s = 0; s < S; ++s) {
        random_pose(lms + s * 99);
        ids[s] = (s * 7) % 3;
        labels[s] = names[ids[s]];
    }
    pyengine_classifier *c1 = NULL, *c2 = NULL;
    CHECK(pyengine_classifier_create_from_ids(lms, S, ids, 3, names, NULL, &c1) == PYENGINE_OK);
    CHECK(pyengine_classifier_create_from_labels(lms, S, labels, NULL, &c2) == PYENGINE_OK);
    CHECK(pyengine_classifier_n_samples(c1) == S && pyengine_classifier_n_classes(c1) == 3);
    CHECK(pyengine_classifier_n_neighbours(c1) == 10);
    CHECK(strcmp(pyengine_classifier_class_name(c1, 2), "c") == 0);
    CHECK(pyengine_classifier_class_name(c1, 3) == NULL);
    CHECK(pyengine_classifier_class_index(c2, "b") == 1);  /* first appearance: a, b, c */
    CHECK(pyengine_classifier_class_index(c2, "zzz") == -1);

    int32_t n1[3], n2[3], idx[10];
    for (int q = 0; q < 20; ++q) {
        float pose[99];
        memcpy(pose, lms + q * 99, sizeof pose);
        pose[0] += 3.0f;
        CHECK(pyengine_classify(c1, pose, n1, 3) == PYENGINE_OK);
        CHECK(pyengine_classify(c2, pose, n2, 3) == PYENGINE_OK);
        CHECK(memcmp(n1, n2, sizeof n1) == 0);
        CHECK(n1[0] + n1[1] + n1[2] == 10);
        CHECK(pyengine_classify_neighbours(c1, pose, idx, 10) == PYENGINE_OK);
        int32_t from_idx[3] = {0, 0, 0};
        for (int k = 0; k < 10; ++k) {
            CHECK(idx[k] >= 0 && idx[k] < S);
            ++from_idx[ids[idx[k]]];
        }
        CHECK(memcmp(from_idx, n1, sizeof n1) == 0);
    }
    /* The nearest sample of an exact sample is itself (distance 0, lowest index wins). */
    CHECK(pyengine_classify_neighbours(c1, lms + 5 * 99, idx, 10) == PYENGINE_OK);
    CHECK(idx[0] == 5);

    /* No pose: NaN and all-zero landmarks. */
    float bad[99] = {0};
    n1[0] = 99;
    CHECK(pyengine_classify(c1, bad, n1, 3) == PYENGINE_NO_POSE);
    CHECK(n1[0] == 0 && n1[1] == 0 && n1[2] == 0);
    CHECK(pyengine_classify_neighbours(c1, bad, idx, 10) == PYENGINE_NO_POSE);
    CHECK(idx[0] == -1);
    memcpy(bad, lms, sizeof bad);
    bad[40] = NAN;
    CHECK(pyengine_classify(c1, bad, n1, 3) == PYENGINE_NO_POSE);

    /* Errors. */
    CHECK(pyengine_classify(c1, lms, n1, 2) == PYENGINE_ERR_BUFFER_TOO_SMALL);
    CHECK(strstr(pyengine_last_error(), "counts_len 2 < n_classes 3") != NULL);
    CHECK(pyengine_classify(NULL, lms, n1, 3) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(pyengine_classify_neighbours(c1, lms, idx, 9) == PYENGINE_ERR_BUFFER_TOO_SMALL);
    /* A successful call clears the message. */
    CHECK(pyengine_classify(c1, lms, n1, 3) == PYENGINE_OK);
    CHECK(strcmp(pyengine_last_error(), "") == 0);

    /* Batch == one by one. */
    enum { F = 12 };
    float frames[F * 99];
    for (int f = 0; f < F; ++f) memcpy(frames + f * 99, lms + (f * 13) * 99, 99 * sizeof(float));
    frames[7 * 99 + 3] = INFINITY;
    int32_t batch[F * 3];
    uint8_t valid[F];
    CHECK(pyengine_classify_batch(c1, frames, F, batch, valid) == PYENGINE_OK);
    for (int f = 0; f < F; ++f) {
        int32_t st = pyengine_classify(c1, frames + f * 99, n1, 3);
        CHECK(st == (valid[f] ? PYENGINE_OK : PYENGINE_NO_POSE));
        CHECK(memcmp(n1, batch + f * 3, sizeof n1) == 0);
    }
    CHECK(valid[7] == 0 && valid[6] == 1);

    /* Bad inputs to the constructors. */
    pyengine_classifier* c3 = NULL;
    int32_t bad_ids[S];
    memcpy(bad_ids, ids, sizeof ids);
    bad_ids[4] = 3;
    CHECK(pyengine_classifier_create_from_ids(lms, S, bad_ids, 3, names, NULL, &c3) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "class id 3 of sample 4") != NULL);
    pyengine_params p;
    pyengine_params_default(&p);
    p.torso_size_multiplier = -1.0;
    CHECK(pyengine_classifier_create_from_ids(lms, S, ids, 3, names, &p, &c3) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "torso_size_multiplier") != NULL);
    for (int i = 0; i < 99; ++i) lms[9 * 99 + i] = 4.0f;
    CHECK(pyengine_classifier_create_from_labels(lms, S, labels, NULL, &c3) == PYENGINE_ERR_INVALID_SAMPLE);
    CHECK(strstr(pyengine_last_error(), "sample 9 cannot be embedded") != NULL);
    CHECK(c3 == NULL);

    /* Embedding. */
    float e[69];
    CHECK(pyengine_embed(lms, 2.5, e) == PYENGINE_OK);
    CHECK(pyengine_embed(lms + 9 * 99, 2.5, e) == PYENGINE_NO_POSE);

    pyengine_classifier_destroy(c1);
    pyengine_classifier_destroy(c2);
    free(lms);
}

static void test_smoother_counter(void) {
    pyengine_smoother* s = NULL;
    CHECK(pyengine_smoother_create(2, 10, 0.2, &s) == PYENGINE_OK);
    double out[2];
    const int32_t a[2] = {10, 0};
    CHECK(pyengine_smoother_update(s, a, out) == PYENGINE_OK);
    CHECK(out[0] == 10.0 && out[1] == 0.0);
    CHECK(pyengine_smoother_update(s, NULL, out) == PYENGINE_OK); /* no pose */
    CHECK(out[0] == (0.0 + 0.8 * 10.0) / (1.0 + 0.8));
    CHECK(pyengine_smoother_reset(s) == PYENGINE_OK);
    CHECK(pyengine_smoother_update(s, NULL, out) == PYENGINE_OK);
    CHECK(out[0] == 0.0);
    pyengine_smoother_destroy(s);
    s = NULL;
    CHECK(pyengine_smoother_create(2, 0, 0.2, &s) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "window_size") != NULL);

    pyengine_counter* c = NULL;
    CHECK(pyengine_counter_create(6, 4, &c) == PYENGINE_OK);
    int32_t n = -1;
    const double conf[] = {2, 7, 8, 5, 3, 9, 1};
    for (int i = 0; i < 7; ++i) CHECK(pyengine_counter_update(c, 1, conf[i], &n) == PYENGINE_OK);
    CHECK(n == 2);
    CHECK(pyengine_counter_update(c, 1, 7.5, &n) == PYENGINE_OK);
    CHECK(pyengine_counter_in_pose(c) == 1);
    CHECK(pyengine_counter_update(c, 0, 0.0, &n) == PYENGINE_OK); /* no pose: unchanged */
    CHECK(n == 2 && pyengine_counter_in_pose(c) == 1);
    CHECK(pyengine_counter_update(c, 1, 0.0, &n) == PYENGINE_OK && n == 3);
    CHECK(pyengine_counter_n_repeats(c) == 3);
    CHECK(pyengine_counter_reset(c) == PYENGINE_OK && pyengine_counter_n_repeats(c) == 0);
    pyengine_counter_destroy(c);
    CHECK(pyengine_counter_create(4, 6, &c) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(pyengine_counter_create(5, 5, &c) == PYENGINE_ERR_INVALID_ARGUMENT); /* exit == enter */
    CHECK(strstr(pyengine_last_error(), "exit_threshold must be below enter_threshold") != NULL);
    CHECK(pyengine_counter_create(5, 0, &c) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "exit_threshold must be > 0, got 0.0") != NULL);
    CHECK(pyengine_counter_create(NAN, 4, &c) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "enter_threshold must be finite, got nan") != NULL);
    CHECK(c == NULL);
}

static void test_settings(void) {
    pyengine_settings s;
    pyengine_settings_default(&s);
    CHECK(s.classifier.top_n_by_max_distance == 30 && s.classifier.top_n_by_mean_distance == 10);
    CHECK(s.classifier.axes_weights[0] == 1.0 && s.classifier.axes_weights[2] == 0.2);
    CHECK(s.classifier.torso_size_multiplier == 2.5);
    CHECK(s.window_size == 10 && s.alpha == 0.2);
    CHECK(s.enter_threshold == 6.0 && s.exit_threshold == 4.0);
    CHECK(pyengine_settings_validate(&s) == PYENGINE_OK);
    CHECK(pyengine_settings_validate(NULL) == PYENGINE_ERR_INVALID_ARGUMENT);

    /* The rule that needs the classifier and the counter together. */
    s.enter_threshold = 10.0;
    CHECK(pyengine_settings_validate(&s) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(),
                 "enter_threshold must be below top_n_by_mean_distance (10), got 10.0") != NULL);
    pyengine_counter* c = NULL;
    CHECK(pyengine_counter_create(10.0, 4.0, &c) == PYENGINE_OK); /* alone: no top_n to check */
    pyengine_counter_destroy(c);
    s.classifier.top_n_by_mean_distance = 11;
    CHECK(pyengine_settings_validate(&s) == PYENGINE_OK);
    s.classifier.top_n_by_mean_distance = 31;
    CHECK(pyengine_settings_validate(&s) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "must not exceed top_n_by_max_distance (30), got 31") != NULL);
    pyengine_settings_default(&s);
    s.alpha = 0.0;
    CHECK(pyengine_settings_validate(&s) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "alpha must be in (0, 1], got 0.0") != NULL);
    pyengine_settings_default(&s);
    s.classifier.torso_size_multiplier = 0.0;
    CHECK(pyengine_settings_validate(&s) == PYENGINE_ERR_INVALID_ARGUMENT);

    /* The smoother and pyengine_embed use the same rules. */
    pyengine_smoother* sm = NULL;
    CHECK(pyengine_smoother_create(2, 10, 1.5, &sm) == PYENGINE_ERR_INVALID_ARGUMENT && sm == NULL);
    float pose[99], e[69];
    random_pose(pose);
    CHECK(pyengine_embed(pose, 0.0, e) == PYENGINE_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pyengine_last_error(), "torso_size_multiplier must be finite and > 0") != NULL);
    CHECK(pyengine_embed(pose, 2.5, e) == PYENGINE_OK);
}

static void test_mlkit(const char* path) {
    FILE* f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        printf("ML Kit CSV not given or absent: skipping\n");
        return;
    }
    fclose(f);
    pyengine_classifier* c = NULL;
    CHECK(pyengine_classifier_create_from_csv(path, NULL, &c) == PYENGINE_OK);
    if (!c) return;
    CHECK(pyengine_classifier_n_samples(c) == 812);
    CHECK(pyengine_classifier_n_classes(c) == 4);
    CHECK(strcmp(pyengine_classifier_class_name(c, 0), "pushups_up") == 0);
    CHECK(pyengine_classifier_class_index(c, "squats_up") >= 0);
    pyengine_classifier_destroy(c);
}

int main(int argc, char** argv) {
    test_basics();
    test_error_statuses();
    test_buffers();
    test_smoother_counter();
    test_settings();
    test_mlkit(argc > 1 ? argv[1] : NULL);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
