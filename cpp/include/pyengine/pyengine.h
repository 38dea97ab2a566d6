/* pyengine C ABI: pose classification and repetition counting for game engines
 * (Unity P/Invoke, Unreal, Godot GDExtension) and any C caller.
 *
 * - Opaque handles, created and destroyed by the library.
 * - Every function that can fail returns a pyengine_status; on failure a message is
 *   available from pyengine_last_error() (per thread, valid until the thread's next call).
 *   No C++ exception ever crosses this boundary.
 * - A classifier is immutable after creation: any number of threads may call the
 *   classify functions on one classifier at once. Smoothers and counters are per stream:
 *   use one per thread (or lock).
 * - Landmarks are float32, 33 x (x, y, z) = 99 floats per pose, pixel-scaled
 *   (x * width, y * height, z * width), in BlazePose order.
 */
#ifndef PYENGINE_H
#define PYENGINE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(PYENGINE_C_BUILD)
#    define PYENGINE_API __declspec(dllexport)
#  elif defined(PYENGINE_C_STATIC)
#    define PYENGINE_API
#  else
#    define PYENGINE_API __declspec(dllimport)
#  endif
#else
#  define PYENGINE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PYENGINE_N_LANDMARKS 33
#define PYENGINE_N_COORDS 99
#define PYENGINE_EMBEDDING_SIZE 69

typedef enum pyengine_status {
    PYENGINE_OK = 0,
    PYENGINE_NO_POSE = 1,               /* not an error: the frame has no usable pose */
    PYENGINE_ERR_INVALID_ARGUMENT = -1, /* null pointer, bad size or bad parameter */
    PYENGINE_ERR_IO = -2,               /* file or folder missing or unreadable */
    PYENGINE_ERR_PARSE = -3,            /* malformed CSV (message names file, line, field) */
    PYENGINE_ERR_INVALID_SAMPLE = -4,   /* a training sample cannot be embedded */
    PYENGINE_ERR_BUFFER_TOO_SMALL = -5, /* output buffer shorter than required */
    PYENGINE_ERR_OUT_OF_MEMORY = -6,
    PYENGINE_ERR_INTERNAL = -99
} pyengine_status;

typedef struct pyengine_classifier pyengine_classifier;
typedef struct pyengine_smoother pyengine_smoother;
typedef struct pyengine_counter pyengine_counter;

/* Classifier settings (SPEC 3-4). Fill with pyengine_params_default, then change. */
typedef struct pyengine_params {
    int32_t top_n_by_max_distance;  /* 30 (>= 1) */
    int32_t top_n_by_mean_distance; /* 10 (>= 1, <= top_n_by_max_distance) */
    double axes_weights[3];         /* 1, 1, 0.2 (finite, >= 0) */
    double torso_size_multiplier;   /* 2.5 (finite, > 0) */
} pyengine_params;

/* Every setting of classifying, smoothing and counting (SPEC 3-6), for callers that keep
 * them together. Fill with pyengine_settings_default, then change; check them all with
 * pyengine_settings_validate. */
typedef struct pyengine_settings {
    pyengine_params classifier;
    int32_t window_size;    /* 10 (>= 1) */
    double alpha;           /* 0.2 (in (0, 1]) */
    double enter_threshold; /* 6 (finite, < classifier.top_n_by_mean_distance) */
    double exit_threshold;  /* 4 (finite, > 0, < enter_threshold) */
} pyengine_settings;

/* ---- library ---------------------------------------------------------------- */
PYENGINE_API const char* pyengine_version(void);          /* "major.minor.patch" */
PYENGINE_API int32_t pyengine_version_number(void);       /* major*10000 + minor*100 + patch */
PYENGINE_API const char* pyengine_last_error(void);       /* "" when none; never NULL */
PYENGINE_API const char* pyengine_status_string(int32_t status);
PYENGINE_API void pyengine_params_default(pyengine_params* params);
/* The defaults of every setting, and a check of all of them, including the rule that
 * spans two parts (enter_threshold must be below top_n_by_mean_distance, else the pose
 * is never entered). Returns PYENGINE_OK or PYENGINE_ERR_INVALID_ARGUMENT, with
 * pyengine_last_error() naming the setting and its value. */
PYENGINE_API void pyengine_settings_default(pyengine_settings* settings);
PYENGINE_API int32_t pyengine_settings_validate(const pyengine_settings* settings);

/* ---- classifier --------------------------------------------------------------- */
/* From a single CSV (name,class,99 coords) or a folder of <class_name>.csv files.
 * `params` may be NULL for the defaults. */
PYENGINE_API int32_t pyengine_classifier_create_from_csv(const char* path,
                                                         const pyengine_params* params,
                                                         pyengine_classifier** out);
/* From caller buffers: `landmarks` n_samples * 99 floats, `class_ids` n_samples ids in
 * [0, n_classes), `class_names` n_classes UTF-8 strings. All data is copied. */
PYENGINE_API int32_t pyengine_classifier_create_from_ids(const float* landmarks, int32_t n_samples,
                                                         const int32_t* class_ids, int32_t n_classes,
                                                         const char* const* class_names,
                                                         const pyengine_params* params,
                                                         pyengine_classifier** out);
/* From caller buffers with one class label string per sample; classes are numbered in
 * order of first appearance. */
PYENGINE_API int32_t pyengine_classifier_create_from_labels(const float* landmarks,
                                                            int32_t n_samples,
                                                            const char* const* labels,
                                                            const pyengine_params* params,
                                                            pyengine_classifier** out);
PYENGINE_API void pyengine_classifier_destroy(pyengine_classifier* classifier); /* NULL ok */

PYENGINE_API int32_t pyengine_classifier_n_classes(const pyengine_classifier* classifier);
PYENGINE_API int32_t pyengine_classifier_n_samples(const pyengine_classifier* classifier);
/* Neighbours kept per frame: min(top_n_by_mean_distance, top_n_by_max_distance, S). */
PYENGINE_API int32_t pyengine_classifier_n_neighbours(const pyengine_classifier* classifier);
/* Class name `index` (owned by the classifier), or NULL when out of range. */
PYENGINE_API const char* pyengine_classifier_class_name(const pyengine_classifier* classifier,
                                                        int32_t index);
/* Index of the class called `name`, or -1. */
PYENGINE_API int32_t pyengine_classifier_class_index(const pyengine_classifier* classifier,
                                                     const char* name);

/* Classify one pose (99 floats). Writes n_classes counts into `counts` (counts_len must
 * be >= n_classes). Returns PYENGINE_OK, PYENGINE_NO_POSE (counts all 0) or an error. */
PYENGINE_API int32_t pyengine_classify(const pyengine_classifier* classifier,
                                       const float* landmarks, int32_t* counts,
                                       int32_t counts_len);
/* The kept sample indices, ordered by (mean distance, index); `indices_len` must be
 * >= n_neighbours. PYENGINE_NO_POSE fills -1. */
PYENGINE_API int32_t pyengine_classify_neighbours(const pyengine_classifier* classifier,
                                                  const float* landmarks, int32_t* indices,
                                                  int32_t indices_len);
/* Classify n_frames poses (n_frames * 99 floats) into counts (n_frames * n_classes).
 * `valid` (n_frames bytes, may be NULL) receives 1 for a pose, 0 for no pose.
 * Returns PYENGINE_OK (even if some frames have no pose) or an error. A batch of 32
 * frames or more is split over up to min(hardware threads, 16) threads started for the
 * call (the calling thread included); results do not depend on the thread count. */
PYENGINE_API int32_t pyengine_classify_batch(const pyengine_classifier* classifier,
                                             const float* landmarks, int32_t n_frames,
                                             int32_t* counts, uint8_t* valid);
/* The 23 x 3 embedding of one pose into `out` (69 floats); PYENGINE_NO_POSE if invalid. */
PYENGINE_API int32_t pyengine_embed(const float* landmarks, double torso_size_multiplier,
                                    float* out);

/* ---- EMA smoother (SPEC 5) ----------------------------------------------------- */
/* window_size >= 1 and alpha in (0, 1], else PYENGINE_ERR_INVALID_ARGUMENT. */
PYENGINE_API int32_t pyengine_smoother_create(int32_t n_classes, int32_t window_size, double alpha,
                                              pyengine_smoother** out);
PYENGINE_API void pyengine_smoother_destroy(pyengine_smoother* smoother);
/* Push one frame's counts (n_classes values; NULL for a frame with no pose) and write
 * the smoothed confidences (n_classes doubles) into `smoothed`. */
PYENGINE_API int32_t pyengine_smoother_update(pyengine_smoother* smoother, const int32_t* counts,
                                              double* smoothed);
PYENGINE_API int32_t pyengine_smoother_reset(pyengine_smoother* smoother);

/* ---- repetition counter (SPEC 6) ----------------------------------------------- */
/* Both thresholds finite and 0 < exit_threshold < enter_threshold, else
 * PYENGINE_ERR_INVALID_ARGUMENT. */
PYENGINE_API int32_t pyengine_counter_create(double enter_threshold, double exit_threshold,
                                             pyengine_counter** out);
PYENGINE_API void pyengine_counter_destroy(pyengine_counter* counter);
/* Feed the target class's smoothed confidence; `has_pose` 0 leaves everything as it is.
 * `n_repeats` (may be NULL) receives the repetitions so far. */
PYENGINE_API int32_t pyengine_counter_update(pyengine_counter* counter, int32_t has_pose,
                                             double confidence, int32_t* n_repeats);
PYENGINE_API int32_t pyengine_counter_n_repeats(const pyengine_counter* counter);
PYENGINE_API int32_t pyengine_counter_in_pose(const pyengine_counter* counter);
PYENGINE_API int32_t pyengine_counter_reset(pyengine_counter* counter);

#ifdef __cplusplus
}
#endif

#endif /* PYENGINE_H */
